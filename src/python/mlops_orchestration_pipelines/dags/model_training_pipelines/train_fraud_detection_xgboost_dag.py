"""Airflow DAG: Weekly retraining of the fraud model (also triggered by the drift check)."""

from mlops_common.contracts.features import FRAUD
from mlops_orchestration_pipelines.dag_factories.training import build_training_dag

dag = build_training_dag("fraud", FRAUD, schedule="@weekly", dag_id="train_fraud_detection_xgboost")
