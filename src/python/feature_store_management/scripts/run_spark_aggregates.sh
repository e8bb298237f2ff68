#!/usr/bin/env bash
# run_spark_aggregates: the Spark windowed aggregates only (`feature-store-cli transform --skip-dbt --skip-etl`); see _feature_store_cli.sh.
source "$(dirname "${BASH_SOURCE[0]}")/_feature_store_cli.sh"
exec_feature_store_cli transform --skip-dbt --skip-etl "$@"
