"""Delete files older than a retention window from the platform's scratch folders.

Batch scoring and report runs leave intermediate files behind; this keeps server 2's disk
from filling up. Deletion is limited to the configured roots and to files, never folders
given by a DAG run's params, so a mistyped param cannot wipe anything else.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from airflow.sdk import dag, task

from mlops_orchestration_pipelines.dag_defaults import DEFAULT_ARGS, PLATFORM_TAG, START_DATE


def delete_older_than(root: Path, max_age_days: float, now: float | None = None) -> list[str]:
    """Remove regular files under ``root`` older than ``max_age_days``; return their paths."""
    now = time.time() if now is None else now
    cutoff = now - max_age_days * 86_400
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
            path.unlink()
            removed.append(str(path))
    return removed


@dag(
    dag_id="cleanup_local_artifacts",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=[PLATFORM_TAG, "utility"],
    doc_md=__doc__,
)
def cleanup_local_artifacts():
    @task
    def cleanup() -> int:
        root = Path(os.environ.get("MLOPS_SCRATCH_DIR", "var/mlops/scratch"))
        days = float(os.environ.get("MLOPS_SCRATCH_RETENTION_DAYS", "14"))
        removed = delete_older_than(root, days)
        print(f"removed {len(removed)} file(s) older than {days} days from {root}")
        return len(removed)

    cleanup()


cleanup_local_artifacts()
