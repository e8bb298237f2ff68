#!/usr/bin/env bash
# run_dbt_for_feast: the dbt models only (`feature-store-cli transform --skip-spark --skip-etl`); see _feature_store_cli.sh.
source "$(dirname "${BASH_SOURCE[0]}")/_feature_store_cli.sh"
exec_feature_store_cli transform --skip-spark --skip-etl "$@"
