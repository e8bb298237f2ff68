"""Every dashboard and alert query against a real Prometheus scraping the REAL fraud service.

The stack is the one a deployment runs: an MLflow server with a fraud model trained and
registered by the trainer (serving-fixture PEX), online features written to Redis by Feast
(online-golden PEX), the fraud-detection-api PEX with auth, rules and metrics, and a challenger
(version 1's graph with inverted probabilities, tagged shadow_state=shadow) shadowing every
request and deciding for a canary share of card holders (issue 19). Traffic covers
what the panels and alerts look at: scored requests, unknown users (degraded, feature
fallbacks), bad requests (4xx) and a failed model reload (MLflow stopped). The drift job is a
real drift computation served as a scrape target, as the drift check's textfile would be.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import start_http_server

from ml_reporting_monitoring.promql_check import check_against_targets
from ml_reporting_monitoring.testing.synthetic_metrics_exporter import drift_gauges
from mlops_common.http_wait import wait_until_ready
from mlops_common.ports import free_port

DIST = Path(".")  # runtime_package_dependencies land at the sandbox root
FIXTURE = DIST / "src.python.ml_model_development.testing/serving-fixture.pex"
GOLDEN = DIST / "src.python.feature_store_management.testing/online-golden.pex"
FRAUD_API = DIST / "src.python.ml_model_services.fraud_detection_api/fraud-detection-api.pex"
REDIS_URL = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
API_KEY = "live-check-key"
PYTHON = shutil.which("python3.11") or sys.executable
# PEX venvs are content-addressed: the root the services' tests use too, so the MLflow/Feast
# PEXes are unpacked once per machine, not once per run (about 30 s each on 2 cores).
PEX_ROOT = Path(tempfile.gettempdir()) / "mlops-serving-tests-pex-root"


class Stack:
    """Processes started for the test, stopped (whole process groups) at the end."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PEX_", "MLOPS_"))}
        self.env |= {"PEX_ROOT": str(PEX_ROOT), "MLFLOW_DISABLE_TELEMETRY": "true"}
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], ready_url: str, env: dict | None = None) -> None:
        log = self.work / f"{name}.log"
        self.procs[name] = proc = subprocess.Popen(
            [PYTHON, *args], env=self.env | (env or {}), cwd=self.work,
            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_until_ready(ready_url, proc, log, timeout_s=300)

    def run(self, args: list[str]) -> str:
        done = subprocess.run(
            [PYTHON, *args], env=self.env, cwd=self.work, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return done.stdout

    def log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text()

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    work = tmp_path_factory.mktemp("live")
    stack = Stack(work)
    project = f"live_{uuid.uuid4().hex[:8]}"
    mlflow_port, api_port = free_port(), free_port()
    mlflow_url = f"http://127.0.0.1:{mlflow_port}"
    try:
        stack.start(
            "mlflow",
            [str(FIXTURE.resolve()), "mlflow-server", "--port", str(mlflow_port),
             "--root", str(work / "mlflow")],
            f"{mlflow_url}/health",
        )  # fmt: skip
        stack.run([str(FIXTURE.resolve()), "register", "fraud", "--tracking-uri", mlflow_url,
                   "--home", str(work / "train")])  # fmt: skip
        stack.run([str(FIXTURE.resolve()), "register-inverted", "fraud", "--tracking-uri",
                   mlflow_url, "--from-version", "1", "--tag", "shadow_state=shadow"])  # fmt: skip
        stack.run([str(GOLDEN.resolve()), "--home", str(work / "features"), "--project", project,
                   "--out", str(work / "golden.json"), "--redis-url", REDIS_URL])  # fmt: skip
        api = f"127.0.0.1:{api_port}"
        stack.start(
            "fraud-api",
            [str(FRAUD_API.resolve()), "--host", "127.0.0.1", "--port", str(api_port)],
            f"http://{api}/health/ready",
            env={
                "MLOPS_PROFILE": "servers",
                "MLOPS_HOME": str(work / "api_home"),
                "MLOPS_MLFLOW_TRACKING_URI": mlflow_url,
                "MLOPS_REDIS_URL": REDIS_URL,
                "MLOPS_SERVICE_FEAST_PROJECT": project,
                "MLOPS_SERVICE_API_KEY": API_KEY,
                "MLOPS_SERVICE_SHADOW_SHARE": "1",
                "MLOPS_SERVICE_CANARY_SHARE": "0.2",
            },
        )
        yield {"api": api, "stop_registry": lambda: stack.stop("mlflow")}
        stack_logs = {name: stack.log(name)[-2000:] for name in stack.procs}
        assert "Traceback" not in stack_logs.get("fraud-api", ""), stack_logs["fraud-api"]
    finally:
        stack.stop_all()
        subprocess.run(
            ["redis-cli", "-u", REDIS_URL, "EVAL",
             "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", "0",
             f"*{project}"],
            capture_output=True, check=False,
        )  # fmt: skip


@pytest.fixture(scope="module")
def drift_target() -> Iterator[str]:
    """A real drift computation (shifted amount) served like the drift check's textfile."""
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=drift_gauges())
    yield f"127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


def traffic(api: str, stop: threading.Event, counts: dict[str, int]) -> None:
    """Steady mixed traffic until ``stop``: rates need samples across several scrapes."""
    url = f"http://{api}/v1/fraud/score"
    good = {"user_id": 3, "amount": 120.0, "merchant_category": "electronics",
            "country": "DE", "hour_of_day": 3}  # fmt: skip
    with httpx.Client(timeout=10, headers={"x-api-key": API_KEY}) as client:
        i = 0
        while not stop.is_set():
            i += 1
            if i % 10 == 0:  # an unknown card holder: defaults, degraded, a fallback counted
                response = client.post(url, json={**good, "user_id": 10**9 + i})
            elif i % 7 == 0:  # invalid input: a 4xx with a reason
                response = client.post(url, json={**good, "amount": -1})
            else:
                response = client.post(url, json={**good, "user_id": 1 + i % 30, "amount": i % 500})
            counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1
            time.sleep(0.02)


def test_every_dashboard_and_alert_query_returns_series_from_the_real_service(
    stack: dict, drift_target: str
) -> None:
    api = stack["api"]
    # A failed reload is what the reload alert and panel watch: ask for one with MLflow down.
    stack["stop_registry"]()
    reload = httpx.post(f"http://{api}/admin/reload", headers={"x-api-key": API_KEY}, timeout=60)
    assert reload.status_code == 503 and reload.json()["error"]["code"] == "registry_unavailable"
    stop, counts = threading.Event(), dict[str, int]()
    sender = threading.Thread(target=traffic, args=(api, stop, counts), daemon=True)
    sender.start()
    try:
        time.sleep(2)
        problems = check_against_targets({"mlops-fraud-service": api, "mlops-drift": drift_target})
    finally:
        stop.set()
        sender.join(timeout=30)
    assert counts.get("200", 0) > 50 and counts.get("422", 0) > 5, counts
    assert "500" not in counts, counts
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
