#!/usr/bin/env bash
# generate_raw_data: seeded raw customers and transactions (`feature-store-cli data`); see _feature_store_cli.sh.
source "$(dirname "${BASH_SOURCE[0]}")/_feature_store_cli.sh"
exec_feature_store_cli data "$@"
