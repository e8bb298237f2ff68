"""Airflow DAG: daily, promote the fraud challenger in shadow when its evidence suffices."""

from mlops_common.contracts.features import FRAUD
from mlops_orchestration_pipelines.dag_factories.shadow_promotion import (
    build_shadow_promotion_dag,
)

dag = build_shadow_promotion_dag(
    "fraud", FRAUD, dag_id="promote_fraud_detection_xgboost_challenger"
)
