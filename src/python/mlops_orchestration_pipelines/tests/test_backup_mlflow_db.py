import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlops_orchestration_pipelines.utils.postgres_backup import (
    PgTarget,
    drop_database,
    dump_database,
    list_backups,
    restore_into_fresh_database,
    rotate,
    table_row_counts,
)

ADMIN = PgTarget(dbname="postgres")


def _psql(db: str, sql: str) -> None:
    subprocess.run(
        ["psql", *ADMIN.args(), "-d", db, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True
    )


@pytest.fixture()
def source_db():
    """A database shaped like MLflow's core tables, with runs in it."""
    name = f"mlflow_src_{uuid.uuid4().hex[:8]}"
    _psql("postgres", f'create database "{name}"')
    _psql(
        name,
        "create table experiments (experiment_id int primary key, name text unique);"
        "create table runs (run_uuid varchar(32) primary key, experiment_id int references experiments,"
        " status text, start_time bigint);"
        "create table metrics (run_uuid varchar(32) references runs, key text, value double precision);"
        "insert into experiments values (1, 'fraud'), (2, 'churn');"
        "insert into runs select md5(i::text), 1 + i % 2, 'FINISHED', i from generate_series(1, 25) i;"
        "insert into metrics select md5(i::text), 'roc_auc', 0.9 from generate_series(1, 25) i;",
    )
    target = PgTarget(dbname=name)
    yield target
    drop_database(target)


def test_dump_restores_with_same_rows(source_db: PgTarget, tmp_path: Path) -> None:
    dump = dump_database(source_db, tmp_path)
    assert dump.exists() and not list(tmp_path.glob("*.partial"))
    restored = restore_into_fresh_database(dump, source_db, source_db.dbname + "_r")
    try:
        assert table_row_counts(restored) == {"experiments": 2, "metrics": 25, "runs": 25}
        assert table_row_counts(restored) == table_row_counts(source_db)
    finally:
        drop_database(restored)


def test_rotation_keeps_newest(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(5):
        stamp = (start + timedelta(days=day)).strftime("%Y%m%dT%H%M%SZ")
        (tmp_path / f"mlflow-{stamp}.dump").write_text("x")
    (tmp_path / "other-20260101T000000Z.dump").write_text("x")
    removed = rotate(tmp_path, "mlflow", keep=2)
    assert len(removed) == 3
    assert [p.name for p in list_backups(tmp_path, "mlflow")] == [
        "mlflow-20260104T000000Z.dump",
        "mlflow-20260105T000000Z.dump",
    ]
    assert (tmp_path / "other-20260101T000000Z.dump").exists()
    with pytest.raises(ValueError):
        rotate(tmp_path, "mlflow", keep=0)


def test_failed_dump_leaves_no_partial_file(tmp_path: Path) -> None:
    missing = PgTarget(dbname=f"does_not_exist_{uuid.uuid4().hex[:6]}")
    with pytest.raises(RuntimeError, match="pg_dump failed"):
        dump_database(missing, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_backup_dag_runs_end_to_end(source_db: PgTarget, tmp_path: Path, monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState

    backup_dir = tmp_path / "backups"
    backup_dir.mkdir()
    for day in range(3):  # older dumps that rotation must remove
        (backup_dir / f"{source_db.dbname}-2026010{day + 1}T000000Z.dump").write_text("old")
    monkeypatch.setenv(
        "MLOPS_PIPELINE_MLFLOW_DB_DSN", f"postgresql://postgres@127.0.0.1:5432/{source_db.dbname}"
    )
    monkeypatch.setenv("MLOPS_PIPELINE_BACKUP_DIR", str(backup_dir))
    monkeypatch.setenv("MLOPS_PIPELINE_BACKUP_KEEP", "2")
    dag = DagBag(
        dag_folder=str(Path(__file__).resolve().parents[1] / "dags" / "utility_dags")
    ).dags["backup_mlflow_db"]
    run = dag.test()
    assert run.state == DagRunState.SUCCESS
    kept = list_backups(backup_dir, source_db.dbname)
    assert len(kept) == 2 and kept[-1].stat().st_size > 1000
    restored = restore_into_fresh_database(kept[-1], source_db, source_db.dbname + "_r2")
    try:
        assert table_row_counts(restored)["runs"] == 25
    finally:
        drop_database(restored)
