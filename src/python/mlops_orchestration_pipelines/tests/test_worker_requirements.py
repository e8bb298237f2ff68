"""The worker image installs exactly the airflow resolve the DAGs are tested with."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

from mlops_orchestration_pipelines.worker.requirements_from_lock import (
    locked_pins,
    main,
    parse_requirements,
    read_lock,
    render,
)

LOCK = Path("3rdparty/python/airflow/airflow.lock")
REQUIREMENTS = Path("src/python/mlops_orchestration_pipelines/worker/requirements.txt")
DOCKERFILE = Path("src/docker/Dockerfile.airflow_custom_worker")


def test_committed_requirements_are_generated_from_the_lock() -> None:
    lock = read_lock(LOCK)
    assert REQUIREMENTS.read_text() == render(lock), "regenerate: see the file's header"
    assert main([str(LOCK), str(REQUIREMENTS), "--check"]) == 0


def test_every_locked_package_is_pinned_with_hashes() -> None:
    lock = read_lock(LOCK)
    pins = parse_requirements(REQUIREMENTS.read_text())
    locked = locked_pins(lock)
    assert pins == {name: version for name, (version, _) in locked.items()}
    assert pins["apache-airflow"] == "3.3.2"
    for requirement in lock["requirements"]:
        assert re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0] in pins
    assert all(hashes for _, hashes in locked.values())


def test_pins_match_the_environment_the_tests_run_in() -> None:
    pins = parse_requirements(REQUIREMENTS.read_text())
    checked = 0
    for name, version in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not needed by these tests' import closure
        assert installed == version, name
        checked += 1
    assert checked >= 50  # airflow and its runtime dependencies at least


def test_worker_environment_runs_airflow_on_a_postgres_metadata_db() -> None:
    """Server 2's Airflow keeps its metadata in PostgreSQL: the driver is part of the set."""
    assert {"psycopg", "asyncpg"} <= set(parse_requirements(REQUIREMENTS.read_text()))
    dsn = os.environ.get("MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    env = dict(
        os.environ,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=dsn.replace(
            "postgresql://", "postgresql+psycopg://", 1
        ),
    )
    out = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-2000:]
    assert "Connection successful" in out.stdout + out.stderr


def test_stale_file_is_detected(tmp_path: Path) -> None:
    stale = tmp_path / "requirements.txt"
    stale.write_text(
        REQUIREMENTS.read_text().replace("apache-airflow==3.3.2", "apache-airflow==3.0.0")
    )
    assert main([str(LOCK), str(stale), "--check"]) == 1


def test_worker_image_installs_airflow_from_the_lock_and_the_bundles() -> None:
    """The image's Airflow is the worker:airflow PEX (built from the same lock) made into a
    venv, plus the five bundles; the component PEXes the tasks run are mounted at
    MLOPS_PIPELINE_PEX_DIR, not baked in (a trainer change must not rebuild the worker)."""
    dockerfile = DOCKERFILE.read_text()
    # selection: named, not run
    assert "COPY src.python.mlops_orchestration_pipelines.worker/airflow.pex" in dockerfile
    assert "PEX_TOOLS=1" in dockerfile and "airflow.pex venv --compile" in dockerfile
    for bundle in ("utility", "feature", "training", "batch-inference", "monitoring"):
        assert f"{bundle}-dags-bundle.pex" in dockerfile
    for pex in ("feature-store-cli.pex", "trainer.pex", "monitoring-cli.pex"):
        assert pex not in dockerfile
    assert "MLOPS_PIPELINE_PEX_DIR=/opt/airflow/pex" in dockerfile
