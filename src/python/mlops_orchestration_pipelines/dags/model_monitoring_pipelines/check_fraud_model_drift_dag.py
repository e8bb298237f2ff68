"""Airflow DAG: daily feature/prediction drift check of the fraud model; retrains on drift."""

from mlops_common.contracts.features import FRAUD
from mlops_orchestration_pipelines.dag_factories.monitoring import build_drift_check_dag

dag = build_drift_check_dag(
    "fraud",
    FRAUD,
    dag_id="check_fraud_model_drift",
    doc="Drift of the fraud model's inputs and scores vs its training data.",
)
