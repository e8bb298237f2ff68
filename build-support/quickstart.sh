#!/usr/bin/env bash
# The main job in one command: build the component PEXes (incremental: only what changed),
# then run the whole platform end to end with `mlops quickstart`.
#
#   bash build-support/quickstart.sh                          # embedded defaults, no servers
#   MLOPS_PROFILE=servers bash build-support/quickstart.sh    # local PostgreSQL, Redis, MLflow server
#
# State goes to $MLOPS_HOME (default var/mlops); the APIs keep running afterwards:
#   python3.11 dist/src.python.mlops_platform_cli/mlops.pex stop
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(
  src/python/mlops_platform_cli:mlops
  src/python/feature_store_management:feature-store-cli
  src/python/ml_model_development:trainer
  src/python/ml_reporting_monitoring:monitoring-cli
  src/python/ml_model_services/fraud_detection_api:fraud-detection-api
  src/python/ml_model_services/customer_churn_api:customer-churn-api
)
echo "quickstart: building the component PEXes with Pants (first time on a machine: ~5-10 min)"
./pants package "${targets[@]}"
if [ "${MLOPS_PROFILE:-embedded}" = "servers" ]; then
  bash build-support/ensure_services.sh
fi
python=$(command -v python3.11 || command -v python3)
exec "$python" dist/src.python.mlops_platform_cli/mlops.pex quickstart "$@"
