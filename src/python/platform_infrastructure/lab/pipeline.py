"""The lab's first run: source data → features → training, through Airflow's own scheduler.

``lab.sh up`` ends with the platform serving. On a fresh lab the registry has no champion,
so after the deploy it lands the seeded source data on server 1 (what connectors do in
production) and runs the feature and training DAGs over Airflow's REST API; each training
DAG promotes its model and reloads the model API on server 3.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from platform_infrastructure.lab.airflow_rest import AirflowClient
from platform_infrastructure.lab.topology import DEFAULT_ADDRESSES, MODEL_APIS, Lab
from platform_infrastructure.process_runner import http_get

FEATURE_DAG = "run_dbt_feast_models"
TRAINING_DAGS = {
    "fraud_detection_xgboost": "train_fraud_detection_xgboost",
    "customer_churn_lightgbm": "train_customer_churn_lightgbm",
}


def get_json(url: str, timeout: float = 10) -> tuple[int, dict]:
    """Status and JSON body of a GET (HTTP errors returned, unreachable → status 0)."""
    try:
        status, text = http_get(url, timeout=timeout)
    except OSError:
        return 0, {}
    try:
        body = json.loads(text or "{}")
    except ValueError:  # e.g. MLflow's /health answers plain "OK"
        return status, {"body": text}
    return status, body if isinstance(body, dict) else {"items": body}


def champion_version(lab: Lab, registered_model: str) -> str | None:
    """The version the registry's ``champion`` alias points at, or None."""
    query = urllib.parse.urlencode({"name": registered_model, "alias": "champion"})
    status, body = get_json(f"{lab.mlflow_url}/api/2.0/mlflow/registered-models/alias?{query}")
    return str(body["model_version"]["version"]) if status == 200 else None


def seed_source_data(lab: Lab, log: Callable[[str], None] = print) -> None:
    """Land the seeded raw customers and transactions in server 1's offline store.

    Runs server 1's own feature-store CLI with its platform.env; ``FEATURES_N_USERS`` /
    ``FEATURES_N_TRANSACTIONS`` in the environment size it (the CLI's defaults otherwise).
    """
    root = lab.server_root("server1")
    env = {**os.environ, **lab.env_file("server1"), "PEX_ROOT": str(root / "pex_root")}
    env["MLOPS_HOME"] = str(root / "data")
    log("server1: landing the seeded source data (feature-store-cli data)")
    subprocess.run(
        ["python3.11", str(root / "pex" / "feature-store-cli.pex"), "data"],
        env=env,
        check=True,
        cwd=root,
    )


def wait_until_serving(lab: Lab, service: str, version: str, timeout_s: float = 300) -> dict:
    """Wait until the model API on server 3 is ready and serves ``version``."""
    deadline = time.monotonic() + timeout_s
    body: dict = {}
    while time.monotonic() < deadline:
        status, body = get_json(f"{lab.api_url(service)}/health/ready")
        if status == 200 and str(body.get("detail", {}).get("model_version")) == str(version):
            return body
        time.sleep(3)
    raise TimeoutError(f"{service} did not serve version {version} within {timeout_s:.0f}s: {body}")


def first_pipeline(lab: Lab, log: Callable[[str], None] = print, force: bool = False) -> dict:
    """Features → training for every model without a champion; returns the champions."""
    missing = [m for m in TRAINING_DAGS if force or champion_version(lab, m) is None]
    if not missing:
        log("registry: every model has a champion; nothing to run")
        return {m: champion_version(lab, m) for m in TRAINING_DAGS}
    client = AirflowClient(lab.airflow_url, "admin", lab.airflow_password())
    seed_source_data(lab, log)
    client.run_scheduled(FEATURE_DAG, log=log)
    for model in missing:
        client.run_scheduled(TRAINING_DAGS[model], log=log)
    champions = {m: champion_version(lab, m) for m in TRAINING_DAGS}
    for service, (model, _) in MODEL_APIS.items():
        version = champions[model]
        if version is not None:
            wait_until_serving(lab, service, version)
            log(f"server3: {service} serves {model} v{champions[model]}")
    return champions


def lab_from_env() -> Lab:
    """The lab of ``MLOPS_LAB_ROOT``; ``MLOPS_LAB_ADDRESS_SERVER<N>`` when it was moved."""
    root = Path(os.environ.get("MLOPS_LAB_ROOT", "var/lab")).resolve()
    addresses = {
        server: os.environ.get(f"MLOPS_LAB_ADDRESS_{server.upper()}", default)
        for server, default in DEFAULT_ADDRESSES.items()
    }
    return Lab(root, addresses)
