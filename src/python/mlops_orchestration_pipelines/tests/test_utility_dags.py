import os
import time
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[1] / "dags" / "utility_dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_cleanup_dag_runs_and_deletes_only_old_files(dagbag, tmp_path: Path, monkeypatch) -> None:
    old = tmp_path / "a" / "old.parquet"
    new = tmp_path / "new.parquet"
    old.parent.mkdir()
    old.write_text("x")
    new.write_text("y")
    past = time.time() - 30 * 86_400
    os.utime(old, (past, past))
    monkeypatch.setenv("MLOPS_SCRATCH_DIR", str(tmp_path))
    monkeypatch.setenv("MLOPS_SCRATCH_RETENTION_DAYS", "7")

    from airflow.utils.state import DagRunState

    run = dagbag.dags["cleanup_local_artifacts"].test()
    assert run.state == DagRunState.SUCCESS
    assert not old.exists() and new.exists() and old.parent.is_dir()
