"""Airflow's own REST API lists the platform's assets with their producing and consuming DAGs.

A real Airflow 3 (``airflow db migrate``, ``api-server``, ``dag-processor``) on a fresh
PostgreSQL database parses this component's DAG folder; ``GET /api/v2/assets`` must then
show every asset with the tasks that produce it (outlets), consume it (inlets) and the DAGs
it schedules — the lineage the UI's asset view draws. No scheduler is needed for that.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from mlops_common.http_wait import wait_until_ready
from mlops_common.ports import free_port

SRC_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = SRC_ROOT / "mlops_orchestration_pipelines" / "dags"
ADMIN_DSN = os.environ.get(
    "MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"airflow_assets_{uuid.uuid4().hex[:8]}"
    base = ADMIN_DSN.rsplit("/", 1)[0]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def airflow_api(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    home = tmp_path_factory.mktemp("airflow-rest")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": "admin-pw"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=database,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_DIR),
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__API__BASE_URL=base_url,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base_url}/execution/",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        # The DAG files import the platform's packages, as the worker image installs them.
        PYTHONPATH=os.pathsep.join([str(SRC_ROOT), env.get("PYTHONPATH", "")]),
    )
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    procs: list[subprocess.Popen[Any]] = []
    logs = {}
    for name, args in {
        "api-server": ["api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        "dag-processor": ["dag-processor"],
    }.items():
        logs[name] = home / f"{name}.log"
        procs.append(
            subprocess.Popen(
                [*airflow, *args],
                env=env,
                stdout=logs[name].open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # kill the process group: the workers go too
            )
        )
    try:
        wait_until_ready(f"{base_url}/api/v2/monitor/health", procs[0], logs["api-server"])
        token = httpx.post(
            f"{base_url}/auth/token", json={"username": "admin", "password": "admin-pw"}
        ).json()["access_token"]
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            yield client
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


EXPECTED_ASSETS: dict[str, dict[str, set[Any]]] = {
    "raw_data": {"consuming": {("run_dbt_feast_models", "transform")}},
    "offline_features": {"producing": {("run_dbt_feast_models", "transform")}},
    "online_features": {
        "producing": {
            ("run_dbt_feast_models", "materialize"),
            ("materialize_feast_online_store", "materialize"),
        }
    },
    "champion_fraud_detection_xgboost": {
        "producing": {("train_fraud_detection_xgboost", "evaluate_and_promote")},
        "consuming": {
            ("score_daily_transactions_fraud", "score_and_label"),
            ("check_fraud_model_drift", "score_reference"),
        },
    },
    "champion_customer_churn_lightgbm": {
        "producing": {("train_customer_churn_lightgbm", "evaluate_and_promote")},
    },
    "predictions_fraud_detection": {
        "producing": {("score_daily_transactions_fraud", "publish")},
        "scheduled": {"check_fraud_model_drift"},
    },
    "predictions_customer_churn": {
        "producing": {("score_daily_customers_churn", "publish")},
        "scheduled": {"check_churn_model_drift"},
    },
}


def _lineage(asset: dict[str, Any]) -> dict[str, set[Any]]:
    return {
        "producing": {(t["dag_id"], t["task_id"]) for t in asset["producing_tasks"]},
        "consuming": {(t["dag_id"], t["task_id"]) for t in asset["consuming_tasks"]},
        "scheduled": {d["dag_id"] for d in asset["scheduled_dags"]},
    }


def _all_lineage_listed(found: dict[str, dict[str, set[Any]]]) -> bool:
    return all(
        name in found and all(refs <= found[name][kind] for kind, refs in expected.items())
        for name, expected in EXPECTED_ASSETS.items()
    )


def test_rest_api_lists_assets_with_producers_and_consumers(airflow_api: httpx.Client) -> None:
    deadline = time.monotonic() + 240
    found: dict[str, dict[str, set[Any]]] = {}
    # The dag-processor parses the DAG files one by one in the background, so an asset can be
    # listed before every DAG that produces or consumes it has been parsed: wait for all of it.
    while time.monotonic() < deadline:
        answer = airflow_api.get("/api/v2/assets", params={"limit": 100})
        answer.raise_for_status()
        found = {a["name"]: _lineage(a) for a in answer.json()["assets"]}
        if _all_lineage_listed(found):
            break
        time.sleep(3)
    assert set(EXPECTED_ASSETS) <= set(found), f"assets listed: {sorted(found)}"
    for name, expected in EXPECTED_ASSETS.items():
        for kind, refs in expected.items():
            assert refs <= found[name][kind], f"{name} {kind}: {found[name][kind]}"
