"""Streaming ingestion: push fresh transaction aggregates of the stream into the online store.

Every five minutes ``feature-store-cli stream`` drains the transaction stream (Redis Streams
consumer group ``feature-store``; ``--kafka-bootstrap`` where a broker exists) until it is idle,
computes each new transaction's rolling aggregates exactly as the Spark job and dbt model do,
and pushes them through Feast's push source, so the fraud API sees a burst of transactions
minutes after it happens instead of after the next daily batch run. Events are acknowledged
only after the push; a run that fails is retried and re-reads its unacknowledged events, and
``max_active_runs=1`` keeps one consumer per group. The stream name is the pipeline variable
``transaction_stream``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from mlops_orchestration_pipelines.component_runs import run_component
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.dag_defaults import DEFAULT_ARGS, PLATFORM_TAG
from mlops_orchestration_pipelines.plugins.operators.feast_materialize_operator import (
    FEATURE_STORE_PEX,
)


@dag(
    dag_id="stream_card_transactions_to_feast",
    schedule=timedelta(minutes=5),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(minutes=15)},
    tags=[PLATFORM_TAG, "features", "streaming"],
    doc_md=__doc__,
    max_active_runs=1,
)
def stream_card_transactions_to_feast():
    @task
    def consume_stream() -> int:
        stream = load_pipeline_variables().transaction_stream
        pushed: int = run_component(FEATURE_STORE_PEX, ["stream", "--stream", stream])["pushed"]
        return pushed

    consume_stream()


stream_card_transactions_to_feast()
