"""Every DAG imports cleanly, follows platform defaults and has the expected tasks and order."""

from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[1] / "dags"

EXPECTED = {
    "cleanup_local_artifacts": {"cleanup": set()},
    "backup_mlflow_db": {
        "dump": set(),
        "verify_restore": {"dump"},
        "rotate_old": {"verify_restore"},
    },
    "run_dbt_feast_models": {
        "transform": set(),
        "build_labels": {"transform"},
        "feast_apply": {"transform"},
        "materialize": {"feast_apply"},
    },
    "materialize_feast_online_store": {"materialize": set()},
    "stream_card_transactions_to_feast": {"consume_stream": set()},
    **{
        f"train_{name}": {
            "train": set(),
            "evaluate_and_promote": {"train"},
            "reload_service": {"evaluate_and_promote"},
            "notify": {"evaluate_and_promote", "reload_service"},
        }
        for name in ("fraud_detection_xgboost", "customer_churn_lightgbm")
    },
    **{
        dag_id: {
            "export_entities": set(),
            "score_and_label": {"export_entities"},
            "publish": {"score_and_label"},
        }
        for dag_id in ("score_daily_transactions_fraud", "score_daily_customers_churn")
    },
    **{
        dag_id: {
            "score_reference": set(),
            "check_drift": {"score_reference"},
            "trigger_retraining": {"check_drift"},
        }
        for dag_id in ("check_fraud_model_drift", "check_churn_model_drift")
    },
    "check_fraud_feature_skew": {"fetch_decisions": set(), "check_skew": {"fetch_decisions"}},
    "monthly_model_retraining_report": {"retraining_report": set()},
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_no_import_errors_and_all_expected_dags(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == set(EXPECTED)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_tasks_and_order(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    upstream = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    assert upstream == EXPECTED[dag_id]
    assert dag.roots, "a DAG without roots has a cycle"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_platform_defaults(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert "mlops-platform" in dag.tags and dag.catchup is False and dag.doc_md
    for t in dag.tasks:
        assert t.owner == "mlops-platform" and t.retries >= 1


@pytest.mark.parametrize(
    ("dag_id", "target"),
    [
        ("check_fraud_model_drift", "train_fraud_detection_xgboost"),
        ("check_churn_model_drift", "train_customer_churn_lightgbm"),
    ],
)
def test_drift_checks_trigger_existing_training_dags(dagbag, dag_id: str, target: str) -> None:
    trigger = dagbag.dags[dag_id].get_task("trigger_retraining")
    assert trigger.trigger_dag_id == target and target in dagbag.dags


@pytest.mark.parametrize("dag_id", ["score_daily_transactions_fraud", "check_fraud_model_drift"])
def test_daily_dags_have_one_day_intervals(dagbag, dag_id: str) -> None:
    from datetime import UTC, datetime, timedelta

    from airflow.serialization.encoders import coerce_to_core_timetable

    timetable = coerce_to_core_timetable(dagbag.dags[dag_id].timetable)
    interval = timetable.infer_manual_data_interval(run_after=datetime(2026, 3, 2, tzinfo=UTC))
    assert interval.end - interval.start == timedelta(days=1)


def test_retraining_report_covers_the_previous_month() -> None:
    from datetime import UTC, datetime

    from mlops_orchestration_pipelines.dags.model_monitoring_pipelines.monthly_retraining_report_dag import (
        report_month,
    )

    assert report_month(datetime(2026, 12, 1, 6, tzinfo=UTC)) == "2026-11"
    assert report_month(datetime(2026, 1, 1, 6, tzinfo=UTC)) == "2025-12"


def test_materialize_operator_command_is_templated(dagbag) -> None:
    op = dagbag.dags["materialize_feast_online_store"].get_task("materialize")
    assert op.command()[:2] == ["materialize", "--end"]
    # Rendered as Airflow renders it (StrictUndefined): the interval end of a scheduled run,
    # run_after for a run triggered without a logical date (no data interval at all).
    from datetime import UTC, datetime
    from types import SimpleNamespace

    import jinja2  # pants: no-infer-dep (installed with apache-airflow, which renders with it)

    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(op.end)
    end, run_after = datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, 9, tzinfo=UTC)
    dag_run = SimpleNamespace(run_after=run_after)
    assert template.render(data_interval_end=end, dag_run=dag_run) == end.isoformat()
    assert template.render(dag_run=dag_run) == run_after.isoformat()
    assert template.render(data_interval_end=None, dag_run=dag_run) == run_after.isoformat()
