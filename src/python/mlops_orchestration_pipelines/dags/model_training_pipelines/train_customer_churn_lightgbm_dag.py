"""Airflow DAG: Monthly retraining of the churn model."""

from mlops_common.contracts.features import CHURN
from mlops_orchestration_pipelines.dag_factories.training import build_training_dag

dag = build_training_dag(
    "churn", CHURN, schedule="@monthly", dag_id="train_customer_churn_lightgbm"
)
