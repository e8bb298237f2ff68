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
        "feast_apply": {"transform"},
        "materialize": {"feast_apply"},
    },
    "materialize_feast_online_store": {"materialize": set()},
    **{
        f"train_{name}": {
            "train": set(),
            "evaluate_and_promote": {"train"},
            "reload_service": {"evaluate_and_promote"},
            "notify": {"evaluate_and_promote", "reload_service"},
        }
        for name in ("fraud_detection_xgboost", "customer_churn_lightgbm")
    },
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


def test_materialize_operator_command_is_templated(dagbag) -> None:
    op = dagbag.dags["materialize_feast_online_store"].get_task("materialize")
    assert op.command() == ["materialize", "--end", "{{ data_interval_end.isoformat() }}"]
