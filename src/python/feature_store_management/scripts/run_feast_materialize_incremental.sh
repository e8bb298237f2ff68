#!/usr/bin/env bash
# run_feast_materialize_incremental: materialize new feature rows into the online store (`feature-store-cli materialize`); see _feature_store_cli.sh.
source "$(dirname "${BASH_SOURCE[0]}")/_feature_store_cli.sh"
exec_feature_store_cli materialize "$@"
