"""Airflow DAG: daily, promote the churn challenger in shadow when its evidence suffices."""

from mlops_common.contracts.features import CHURN
from mlops_orchestration_pipelines.dag_factories.shadow_promotion import (
    build_shadow_promotion_dag,
)

dag = build_shadow_promotion_dag(
    "churn", CHURN, cron="45 4 * * *", dag_id="promote_customer_churn_lightgbm_challenger"
)
