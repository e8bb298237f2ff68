"""The Airflow worker image, run with podman: Airflow parses every DAG bundle it carries, and
the image's default command (the scheduler) runs on a PostgreSQL metadata DB until its
HEALTHCHECK reports it healthy.

The image sets one LocalDagBundle per domain (``AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST``)
and each bundle's ``manifest.json`` names the DAGs the bundle PEX installed. Inside one
container (SQLite metadata DB in AIRFLOW_HOME, as a fresh worker has): ``airflow dags list
--local -B <bundle>`` must list exactly the manifest's DAGs for every bundle, and ``airflow
dags list-import-errors`` must report none.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from platform_infrastructure.testing.containers import (
    built_image,
    container,
    image_config,
    logs,
    podman,
    podman_problem,
    run_once,
)
from platform_infrastructure.testing.postgres import dsn, scratch_database

PROBLEM = podman_problem()
pytestmark = pytest.mark.skipif(
    PROBLEM is not None, reason=f"podman cannot run containers here: {PROBLEM}"
)

BUNDLES = ["utility", "feature", "training", "batch-inference", "monitoring"]
MARK = "### "


def _sections(stdout: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith(MARK):
            current = line[len(MARK) :].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def _json_in(text: str) -> Any:
    """The JSON document in a section (Airflow prints log lines around it)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("[{", "{")) or stripped == "[]":
            try:
                return json.JSONDecoder().raw_decode("\n".join(lines[i:]).strip())[0]
            except ValueError:
                continue
    raise AssertionError(f"no JSON document in:\n{text[-1500:]}")


def test_airflow_worker_image_lists_the_dags_of_every_bundle() -> None:
    image = built_image("airflow-worker")
    config = image_config(image)
    assert config["User"] == "10001:10001" and config.get("Healthcheck")
    assert config["Size"] < 500_000_000, f"{config['Size'] / 1e6:.0f} MB"
    env = dict(e.split("=", 1) for e in config["Env"])
    bundle_config = json.loads(env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    assert [b["name"] for b in bundle_config] == BUNDLES

    flags = " ".join(f"-B {b}" for b in BUNDLES)
    script = "\n".join(
        [
            "set -e",
            "airflow db migrate >/dev/null 2>&1",
            *(
                f"echo '{MARK}list {b}'; airflow dags list --local -B {b} -o json --columns dag_id"
                f"; echo '{MARK}manifest {b}'; cat /opt/airflow/dags/{b}/manifest.json; echo"
                for b in BUNDLES
            ),
            f"echo '{MARK}errors'; airflow dags list-import-errors --local {flags} -o json",
            f"echo '{MARK}imports'; python -c 'import importlib.util as u, json;"
            " print(json.dumps({n: u.find_spec(n) is not None for n in"
            ' ["airflow", "mlflow", "xgboost", "lightgbm", "feast", "pyspark"]}))\'',
        ]
    )
    ran = run_once(image, "-c", script, entrypoint="/bin/sh", timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    sections = _sections(ran.stdout)

    everything: list[str] = []
    for bundle in BUNDLES:
        listed = sorted(d["dag_id"] for d in _json_in(sections[f"list {bundle}"]))
        manifest = _json_in(sections[f"manifest {bundle}"])
        assert listed, f"bundle {bundle}: no DAG parsed\n{ran.stderr[-2000:]}"
        assert listed == sorted(manifest["dag_ids"]), bundle
        everything += listed
    assert len(everything) == len(set(everything)), "a DAG id in two bundles"
    errors_text = sections["errors"].strip()
    assert errors_text in ("[]", "") or _json_in(errors_text) == [], errors_text
    imports = _json_in(sections["imports"])
    assert imports["airflow"] and not any(
        imports[n] for n in ("mlflow", "xgboost", "lightgbm", "feast", "pyspark")
    ), imports


def test_airflow_worker_image_runs_the_scheduler_until_healthy() -> None:
    """Server 2's setup: metadata in PostgreSQL (psycopg from the lock), `db migrate` once,
    then the image's own command. Its HEALTHCHECK (`airflow jobs check --job-type
    SchedulerJob --local`) passes only once the scheduler heartbeats into that database."""
    image = built_image("airflow-worker")
    with scratch_database("mlops_airflow_image") as database:
        env = {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn(database).replace(
                "postgresql://", "postgresql+psycopg://", 1
            ),
            "AIRFLOW__CORE__PARALLELISM": "2",
        }
        migrated = run_once(image, "db", "migrate", env=env, timeout=300)
        assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
        with container(image, prefix="airflow", env=env) as name:
            deadline = time.monotonic() + 180
            while podman("healthcheck", "run", name, check=False).returncode != 0:
                assert time.monotonic() < deadline, f"never healthy; log:\n{logs(name)}"
                time.sleep(3)
            assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
