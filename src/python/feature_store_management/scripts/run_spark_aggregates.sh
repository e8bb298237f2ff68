#!/usr/bin/env bash
# run_spark_aggregates: thin wrapper over the packaged CLI (`feature-store-cli transform --skip-dbt --skip-etl`).
# Build it once with: ./pants package src/python/feature_store_management:feature-store-cli
# Configuration: MLOPS_PROFILE (embedded|servers), MLOPS_HOME, MLOPS_POSTGRES_DSN, MLOPS_REDIS_URL.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
PEX="${FEATURE_STORE_CLI:-$ROOT/dist/src.python.feature_store_management/feature-store-cli.pex}"
if [[ ! -x "$PEX" ]]; then
  echo "feature-store-cli not built: run ./pants package src/python/feature_store_management:feature-store-cli" >&2
  exit 2
fi
exec "$PEX" transform --skip-dbt --skip-etl "$@"
