"""Monthly model retraining report (runs on the 1st for the month that just ended).

``monitoring-cli retraining-report --month YYYY-MM`` reads the MLflow registry and runs of
every model contract (versions trained, metrics, promotions) and writes
``$MLOPS_HOME/reports/retraining/retraining_report_<YYYY-MM>.html``. The month comes from the
run's logical date, not "now", so re-running a month rewrites the same report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

from mlops_common.settings import PlatformSettings
from mlops_orchestration_pipelines.component_runs import run_component
from mlops_orchestration_pipelines.dag_defaults import DEFAULT_ARGS, PLATFORM_TAG
from mlops_orchestration_pipelines.dag_factories.monitoring import MONITORING_PEX


def report_month(logical_date: datetime) -> str:
    """The month that ended just before ``logical_date`` (a run on 1 Dec reports November)."""
    return (logical_date.astimezone(UTC) - timedelta(days=1)).strftime("%Y-%m")


@dag(
    dag_id="monthly_model_retraining_report",
    schedule=CronTriggerTimetable("0 6 1 * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=[PLATFORM_TAG, "monitoring", "reports"],
    doc_md=__doc__,
    max_active_runs=1,
)
def monthly_model_retraining_report():
    @task
    def retraining_report() -> str:
        # A manual run without a logical date reports the month before today.
        month = report_month(get_current_context().get("logical_date") or datetime.now(UTC))
        out = PlatformSettings().home / "reports" / "retraining"
        result = run_component(
            MONITORING_PEX, ["retraining-report", "--month", month, "--output-dir", str(out)]
        )
        report: str = result["report"]
        return report

    retraining_report()


monthly_model_retraining_report()
