#!/usr/bin/env bash
# run_feast_apply: register the Feast definitions (`feature-store-cli apply`); see _feature_store_cli.sh.
source "$(dirname "${BASH_SOURCE[0]}")/_feature_store_cli.sh"
exec_feature_store_cli apply "$@"
