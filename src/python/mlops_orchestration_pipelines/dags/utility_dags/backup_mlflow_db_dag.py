"""Back up the MLflow metadata database (PostgreSQL, server 1) every night.

``dump`` writes a custom-format pg_dump atomically; ``verify_restore`` restores it into a
scratch database and compares the row count of every table with the source — a backup that
has never been restored is not a backup; only then does ``rotate`` delete old dumps, so a bad
dump can never push good ones out. A dump that fails verification is renamed ``*.failed``.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import dag, task

from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.dag_defaults import DEFAULT_ARGS, PLATFORM_TAG, START_DATE
from mlops_orchestration_pipelines.utils.postgres_backup import (
    PgTarget,
    drop_database,
    dump_database,
    restore_into_fresh_database,
    rotate,
    table_row_counts,
)


@dag(
    dag_id="backup_mlflow_db",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=[PLATFORM_TAG, "utility", "backup"],
    doc_md=__doc__,
)
def backup_mlflow_db():
    @task
    def dump() -> str:
        variables = load_pipeline_variables()
        path = dump_database(PgTarget.of(variables.mlflow_db_dsn), variables.backup_dir)
        print(f"wrote {path} ({path.stat().st_size} bytes)")
        return str(path)

    @task
    def verify_restore(dump_path: str) -> dict[str, int]:
        variables = load_pipeline_variables()
        source = PgTarget.of(variables.mlflow_db_dsn)
        expected = table_row_counts(source)
        restored = None
        try:
            restored = restore_into_fresh_database(
                Path(dump_path), source, f"{source.dbname}_restore_check"
            )
            actual = table_row_counts(restored)
            if actual != expected:
                raise RuntimeError(f"restored row counts {actual} differ from source {expected}")
        except Exception:
            Path(dump_path).rename(dump_path + ".failed")
            raise
        finally:
            if restored is not None:
                drop_database(restored)
        print(f"restore check passed: {len(expected)} tables, {sum(expected.values())} rows")
        return expected

    @task
    def rotate_old(_: dict[str, int]) -> int:
        variables = load_pipeline_variables()
        source = PgTarget.of(variables.mlflow_db_dsn)
        removed = rotate(variables.backup_dir, source.dbname, variables.backup_keep)
        print(f"rotation kept {variables.backup_keep}, removed {len(removed)}")
        return len(removed)

    rotate_old(verify_restore(dump()))


backup_mlflow_db()
