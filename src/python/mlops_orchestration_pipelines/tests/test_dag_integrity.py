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
        f"promote_{name}_challenger": {
            "copy_shadow_log": set(),
            "promote_challenger": {"copy_shadow_log"},
            "reload_service": {"promote_challenger"},
            "notify": {"promote_challenger", "reload_service"},
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
    from datetime import timedelta

    from mlops_orchestration_pipelines.notifiers import FailureNotifier

    dag = dagbag.dags[dag_id]
    assert "mlops-platform" in dag.tags and dag.catchup is False and dag.doc_md
    # A naive start date would be read in the server's default time zone.
    assert dag.start_date.tzinfo is not None and dag.start_date.utcoffset() == timedelta(0)
    for t in dag.tasks:
        assert t.owner == "mlops-platform" and t.retries >= 1
        callbacks = t.on_failure_callback or []
        assert any(isinstance(cb, FailureNotifier) for cb in callbacks), t.task_id


MODELS = [
    ("fraud_detection", "fraud_detection_xgboost", "score_daily_transactions_fraud",
     "check_fraud_model_drift"),
    ("customer_churn", "customer_churn_lightgbm", "score_daily_customers_churn",
     "check_churn_model_drift"),
]  # fmt: skip


def _names(assets) -> set[str]:
    return {a.name for a in assets}


def test_feature_dags_produce_the_feature_assets(dagbag) -> None:
    daily = dagbag.dags["run_dbt_feast_models"]
    assert _names(daily.get_task("transform").inlets) == {"raw_data"}
    assert _names(daily.get_task("transform").outlets) == {"offline_features"}
    assert _names(daily.get_task("materialize").outlets) == {"online_features"}
    hourly = dagbag.dags["materialize_feast_online_store"]
    assert _names(hourly.get_task("materialize").outlets) == {"online_features"}


@pytest.mark.parametrize(("use_case", "model", "scoring", "drift"), MODELS)
def test_model_assets_wired(dagbag, use_case: str, model: str, scoring: str, drift: str) -> None:
    from mlops_orchestration_pipelines.assets import predictions

    training = dagbag.dags[f"train_{model}"]
    assert _names(training.get_task("train").inlets) == {"offline_features"}
    assert _names(training.get_task("evaluate_and_promote").outlets) == {f"champion_{model}"}
    # The daily shadow check moves the same alias, so batch scoring follows it too.
    shadow = dagbag.dags[f"promote_{model}_challenger"]
    assert _names(shadow.get_task("promote_challenger").outlets) == {f"champion_{model}"}
    batch = dagbag.dags[scoring]
    assert _names(batch.get_task("score_and_label").inlets) == {
        "offline_features",
        f"champion_{model}",
    }
    assert _names(batch.get_task("publish").outlets) == {f"predictions_{use_case}"}
    # The drift check runs when that use case's predictions are published, and only then.
    check = dagbag.dags[drift]
    assert check.timetable.asset_condition.objects == (predictions(use_case),)
    assert _names(check.get_task("score_reference").inlets) == {f"champion_{model}"}


@pytest.mark.parametrize(
    "dag_id", ["train_fraud_detection_xgboost", "train_customer_churn_lightgbm"]
)
def test_training_params_defaults_and_validation(dagbag, dag_id: str) -> None:
    import copy

    from airflow.sdk.exceptions import ParamValidationError

    params = dagbag.dags[dag_id].params
    assert params.validate() == {
        "reason": "schedule",
        "hyperparameter_overrides": {},
        "checked_by": None,
        "promotion_policy": None,
    }
    # What the drift check sends is accepted, so its reason reaches the run.
    accepted = copy.deepcopy(params)
    accepted.update({"reason": "drift", "checked_by": "check_fraud_model_drift"})
    assert accepted.validate()["reason"] == "drift"
    for key, bad in [
        ("reason", "because"),
        ("hyperparameter_overrides", "n_estimators=3"),
        ("promotion_policy", "canary"),
    ]:
        rejected = copy.deepcopy(params)
        with pytest.raises(ParamValidationError, match=key):
            rejected[key] = bad
            rejected.validate()


def test_trainer_env_carries_overrides() -> None:
    import json

    from mlops_orchestration_pipelines.dag_factories.training import trainer_env

    assert trainer_env({"hyperparameter_overrides": {}}) is None
    env = trainer_env({"hyperparameter_overrides": {"n_estimators": 300}})
    assert env is not None and json.loads(env["TRAINING_HYPERPARAMETERS"]) == {"n_estimators": 300}
    with pytest.raises(ValueError, match="JSON object"):
        trainer_env({"hyperparameter_overrides": [1]})


def test_promotion_policy_reaches_the_gate() -> None:
    from mlops_orchestration_pipelines.dag_factories.training import promotion_env

    assert promotion_env({"promotion_policy": None}) is None
    assert promotion_env({"promotion_policy": "shadow"}) == {"TRAINING_PROMOTION_POLICY": "shadow"}


def test_drift_check_day_comes_from_the_asset_event() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowSkipException

    from mlops_orchestration_pipelines.assets import predictions
    from mlops_orchestration_pipelines.dag_factories.monitoring import checked_day

    asset = predictions("fraud_detection")
    older = SimpleNamespace(extra={"partition_date": "2026-10-29", "rows": 5})
    newest = SimpleNamespace(extra={"partition_date": "2026-10-30", "rows": 7})
    context = {"triggering_asset_events": {asset: [older, newest]}}
    assert checked_day(context, asset) == datetime(2026, 10, 30, tzinfo=UTC)
    empty = {
        "triggering_asset_events": {
            asset: [SimpleNamespace(extra={"partition_date": "2026-10-30", "rows": 0})]
        }
    }
    with pytest.raises(AirflowSkipException, match="no predictions"):
        checked_day(empty, asset)
    # A manual run with a logical date checks the day before it.
    manual = {"data_interval_end": datetime(2026, 10, 31, 2, tzinfo=UTC)}
    assert checked_day(manual, asset) == datetime(2026, 10, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="logical date"):
        checked_day({}, asset)


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


@pytest.mark.parametrize("dag_id", ["score_daily_transactions_fraud", "check_fraud_feature_skew"])
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
