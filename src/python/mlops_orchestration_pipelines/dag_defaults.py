"""Defaults every platform DAG shares, so integrity tests can hold all DAGs to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import CronTriggerTimetable, dag

from mlops_orchestration_pipelines.notifiers import FailureNotifier

DEFAULT_ARGS: dict[str, object] = {
    "owner": "mlops-platform",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    # Called once a task has failed for good (not on each retry).
    "on_failure_callback": [FailureNotifier()],
}

PLATFORM_TAG = "mlops-platform"

# Time-zone aware (UTC): a naive start date would be read in the server's default time zone.
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def daily_timetable(cron: str) -> CronTriggerTimetable:
    """A cron trigger whose run at T covers the data interval [T - 1 day, T].

    A trigger timetable with an explicit interval, so tasks can read and write the
    partition of their data interval and a re-run of the same date rewrites the same data.
    """
    return CronTriggerTimetable(cron, timezone="UTC", interval=timedelta(days=1))


def model_dag(
    *,
    dag_id: str,
    schedule: object,
    domain: str,
    use_case: str,
    doc_md: str,
    timeout: timedelta,
    params: dict[str, Any] | None = None,
) -> Callable[..., Any]:
    """The ``@dag`` decorator of a per-model DAG (training, batch scoring, drift).

    One place for what the integrity tests hold every model DAG to: owner and retries,
    tags ``[platform, domain, use case]``, no catch-up, one active run at a time.
    """
    return dag(
        dag_id=dag_id,
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        default_args={**DEFAULT_ARGS, "execution_timeout": timeout},
        tags=[PLATFORM_TAG, domain, use_case],
        doc_md=doc_md,
        max_active_runs=1,
        params=params,
    )
