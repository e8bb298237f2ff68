"""Runs the dbt project programmatically (``dbtRunner``) on DuckDB or PostgreSQL.

The project ships inside the package; it is copied to a work folder (dbt writes ``target/``
and logs next to it, and a PEX may be read-only) with a ``profiles.yml`` rendered from the
settings, so no credentials are ever committed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sized
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
import yaml

from feature_store_management.settings import FeatureStoreSettings
from mlops_common.progress import Progress
from mlops_common.settings import Profile

PROJECT_PACKAGE = "feature_store_management.data_transformation_pipelines.dbt"


class DbtError(RuntimeError):
    """A dbt command failed; the message names the command and the failing nodes."""


def _copy_tree(src: resources.abc.Traversable, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name in ("__pycache__", "target", "logs"):
            continue
        if item.is_dir():
            _copy_tree(item, dst / item.name)
        else:
            (dst / item.name).write_bytes(item.read_bytes())


def prepare_project(settings: FeatureStoreSettings, work_dir: Path | None = None) -> Path:
    """Copy the dbt project to ``work_dir`` and write its ``profiles.yml``; return the path."""
    project = work_dir or settings.data_dir / "dbt_project"
    if project.exists():
        shutil.rmtree(project)
    _copy_tree(resources.files(PROJECT_PACKAGE) / "project", project)
    (project / "profiles.yml").write_text(yaml.safe_dump(_profiles(settings)))
    return project


def _profiles(settings: FeatureStoreSettings) -> dict:
    if settings.profile == Profile.SERVERS:
        url = sa.engine.make_url(settings.platform.postgres_dsn)
        output = {
            "type": "postgres",
            "host": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "postgres",
            "password": url.password or "",
            "dbname": url.database or "postgres",
            "schema": settings.warehouse_schema,
            "threads": 1,
            "sslmode": "disable",
        }
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        output = {
            "type": "duckdb",
            "path": str(settings.duckdb_path),
            "schema": settings.warehouse_schema,
            "threads": 1,
            "settings": {"TimeZone": "UTC"},
        }
    return {"feature_store": {"target": "default", "outputs": {"default": output}}}


def run_dbt(settings: FeatureStoreSettings, commands: tuple[str, ...] = ("run", "test")) -> Path:
    """Run ``commands`` in order (``dbt build`` semantics split for clear progress lines)."""
    from dbt.cli.main import dbtRunner

    os.environ.setdefault("DO_NOT_TRACK", "1")
    project = prepare_project(settings)
    dbt_vars = yaml.safe_dump(
        {"raw_schema": settings.raw_schema, "raw_dir": str(settings.raw_dir)},
        default_flow_style=True,
    ).strip()
    for command in commands:
        progress = Progress(f"dbt {command}")
        result = dbtRunner().invoke(
            [
                command,
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target-path",
                str(project / "target"),
                "--log-path",
                str(project / "logs"),
                "--vars",
                dbt_vars,
                "--quiet",
            ]
        )
        if not result.success:
            failed = _failed_nodes(result.result)
            raise DbtError(
                f"dbt {command} failed{': ' + ', '.join(failed) if failed else ''}"
                f"{' (' + str(result.exception) + ')' if result.exception else ''}; "
                f"see {project / 'logs' / 'dbt.log'}"
            )
        # run/seed/build return a RunExecutionResult (sized); other commands other results
        count = len(result.result) if isinstance(result.result, Sized) else 0
        progress.finish(f"{count} node(s) ok")
    return project


def _failed_nodes(run_result: object) -> list[str]:
    failed = []
    for node_result in getattr(run_result, "results", None) or []:
        if str(getattr(node_result, "status", "")).lower() in ("error", "fail"):
            failed.append(f"{node_result.node.name} ({node_result.message})")
    return failed
