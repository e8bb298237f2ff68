"""Airflow DAG: score each day's card transactions with the fraud champion, apply the rules."""

from mlops_common.contracts.features import FRAUD
from mlops_orchestration_pipelines.dag_factories.batch_scoring import build_batch_scoring_dag

dag = build_batch_scoring_dag(
    "fraud",
    FRAUD,
    dag_id="score_daily_transactions_fraud",
    cron="0 0 * * *",
    doc="Daily batch fraud scoring of the previous day's transactions (approve/review/block).",
)
