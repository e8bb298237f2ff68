"""Airflow DAG: daily feature/prediction drift check of the churn model; retrains on drift."""

from mlops_common.contracts.features import CHURN
from mlops_orchestration_pipelines.dag_factories.monitoring import build_drift_check_dag

dag = build_drift_check_dag(
    "churn",
    CHURN,
    dag_id="check_churn_model_drift",
    doc="Drift of the churn model's inputs and scores vs its training data.",
)
