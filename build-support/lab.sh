#!/usr/bin/env bash
# The same platform on the three servers: a lab of three loopback "servers" on this machine
# (server1 127.0.0.11, server2 127.0.0.12, server3 127.0.0.13), deployed by Ansible's site.yml
# with the lab inventory, exactly as on real hosts.
#
#   bash build-support/lab.sh up        build what the lab needs with Pants, run site.yml, and
#                                       (no champion yet) run features → training via Airflow
#   bash build-support/lab.sh status    what answers where, which processes run
#   bash build-support/lab.sh check     site.yml --check --diff: what a deploy would change
#   bash build-support/lab.sh down      stop every lab process (databases and files stay)
#   bash build-support/lab.sh down --purge   also drop the lab_* databases and var/lab
#
# MLOPS_LAB_ROOT (default var/lab) holds each server's files; extra arguments after `up` or
# `check` go to ansible-playbook (e.g. -e lab_address_server3=127.0.0.23).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
export MLOPS_LAB_ROOT=${MLOPS_LAB_ROOT:-$REPO/var/lab}
ACTION=${1:-status}
shift || true

PY_VERSION=$(python3.11 -c 'import platform; print(platform.python_version())')
OPS_VENV=$REPO/dist/export/python/virtualenvs/ops/$PY_VERSION
INVENTORY=src/ansible/inventories/lab/hosts.yml
VAULT_PASSWORD=src/ansible/inventories/lab/vault-password.txt
# Everything the three servers run, as Pants builds it.
LAB_TARGETS=(
  src/python/feature_store_management:feature-store-cli
  src/python/ml_model_development:trainer
  src/python/ml_reporting_monitoring:monitoring-cli
  src/python/ml_model_services/fraud_detection_api:fraud-detection-api
  src/python/ml_model_services/customer_churn_api:customer-churn-api
  src/python/mlops_orchestration_pipelines/worker:airflow
  src/python/mlops_orchestration_pipelines/bundles::
)

say() { echo "lab: $*" >&2; }

ops_python() {
  # The ops resolve (ansible-core) as a venv; Pants only rebuilds it when its lock changes.
  if [ ! -x "$OPS_VENV/bin/ansible-playbook" ]; then
    say "exporting the ops resolve (ansible) to $OPS_VENV"
    ./pants export --resolve=ops >/dev/null
  fi
}

playbook() {
  ops_python
  mkdir -p "$MLOPS_LAB_ROOT/ansible-home"
  ANSIBLE_CONFIG=$REPO/src/ansible/ansible.cfg ANSIBLE_ROLES_PATH=$REPO/src/ansible/roles \
    ANSIBLE_HOME=$MLOPS_LAB_ROOT/ansible-home ANSIBLE_LOCAL_TEMP=$MLOPS_LAB_ROOT/ansible-home/tmp \
    "$OPS_VENV/bin/ansible-playbook" -i "$INVENTORY" --vault-password-file "$VAULT_PASSWORD" \
    src/ansible/playbooks/site.yml "$@"
}

lab_cli() {
  ops_python
  PYTHONPATH=$REPO/src/python "$OPS_VENV/bin/python" -m platform_infrastructure.lab.cli "$@"
}

case "$ACTION" in
  up)
    start=$(date +%s)
    bash build-support/ensure_services.sh
    bash build-support/bootstrap_system.sh
    say "building the lab's PEX files with Pants (incremental)"
    ./pants package "${LAB_TARGETS[@]}"
    say "deploying the three servers (site.yml, lab inventory)"
    playbook "$@"
    say "making sure every model has a champion (first run: features → training via Airflow)"
    lab_cli first-pipeline
    lab_cli status || true
    say "up in $(( $(date +%s) - start ))s. Airflow UI http://127.0.0.12:8080 (user admin, password in" \
      "$MLOPS_LAB_ROOT/server2/airflow/simple_auth_manager_passwords.json), MLflow http://127.0.0.12:5000," \
      "fraud API http://127.0.0.13:8001/docs, Prometheus http://127.0.0.13:9090, Alertmanager http://127.0.0.13:9093"
    ;;
  check)
    playbook --check --diff "$@"
    ;;
  status)
    lab_cli status
    ;;
  down)
    lab_cli down "$@"
    ;;
  *)
    echo "usage: bash build-support/lab.sh up|status|check|down [--purge]" >&2
    exit 2
    ;;
esac
