"""Airflow DAG: score every customer daily with the churn champion, apply the rules."""

from mlops_common.contracts.features import CHURN
from mlops_orchestration_pipelines.dag_factories.batch_scoring import build_batch_scoring_dag

dag = build_batch_scoring_dag(
    "churn",
    CHURN,
    dag_id="score_daily_customers_churn",
    cron="0 0 * * *",
    doc="Daily churn scores of all customers as of midnight (no_action/nurture/retention_offer).",
)
