#!/usr/bin/env bash
# Shared by the wrappers in this folder (sourced, not run): exec the packaged
# feature-store-cli PEX with a subcommand, or say how to build it.
# Build it once with: ./pants package src/python/feature_store_management:feature-store-cli
# Configuration: MLOPS_PROFILE (embedded|servers), MLOPS_HOME, MLOPS_POSTGRES_DSN, MLOPS_REDIS_URL;
# FEATURE_STORE_CLI points at another copy of the PEX.
set -euo pipefail

exec_feature_store_cli() {
  local root pex
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
  pex="${FEATURE_STORE_CLI:-$root/dist/src.python.feature_store_management/feature-store-cli.pex}"
  if [[ ! -x "$pex" ]]; then
    echo "feature-store-cli not built: run ./pants package src/python/feature_store_management:feature-store-cli" >&2
    exit 2
  fi
  exec "$pex" "$@"
}
