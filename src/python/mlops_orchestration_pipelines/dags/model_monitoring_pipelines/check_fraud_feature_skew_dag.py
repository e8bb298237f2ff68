"""Airflow DAG: daily train/serve skew check of the fraud API's window features."""

from mlops_common.contracts.features import FRAUD
from mlops_orchestration_pipelines.dag_factories.feature_skew import build_feature_skew_dag

dag = build_feature_skew_dag(
    FRAUD,
    dag_id="check_fraud_feature_skew",
    cron="30 2 * * *",
    doc="Do the fraud API's window features equal what the offline pipeline computes?",
)
