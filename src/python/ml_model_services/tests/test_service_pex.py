"""The packaged PEXes start as `python3.11 <service>.pex --host H --port P` (what Ansible,
Docker and Kubernetes run) and refuse to start without an API key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ml_model_services.tests.support import pex_env, start, wait_http
from mlops_common.ports import free_port

PEXES = {
    "fraud": (
        Path("src.python.ml_model_services.fraud_detection_api/fraud-detection-api.pex"),
        "/v1/fraud/score",
    ),
    "churn": (
        Path("src.python.ml_model_services.customer_churn_api/customer-churn-api.pex"),
        "/v1/churn/score",
    ),
}


@pytest.mark.parametrize("service", sorted(PEXES))
def test_pex_refuses_to_start_without_an_api_key(service: str, tmp_path: Path) -> None:
    pex, _ = PEXES[service]
    proc = subprocess.run(
        [sys.executable, str(pex.resolve()), "--port", str(free_port())],
        env=pex_env({"MLOPS_HOME": str(tmp_path)}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "MLOPS_SERVICE_AUTH_DISABLED" in proc.stderr


@pytest.mark.parametrize("service", sorted(PEXES))
def test_pex_serves_probes_and_docs_without_a_model(service: str, tmp_path: Path) -> None:
    pex, score_path = PEXES[service]
    port = free_port()
    proc = start(
        [sys.executable, str(pex.resolve()), "--host", "127.0.0.1", "--port", str(port)],
        env=pex_env({"MLOPS_HOME": str(tmp_path), "AUTH_DISABLED": "true"}),
        cwd=tmp_path,
        log_path=tmp_path / "service.log",
        url=f"http://127.0.0.1:{port}",
    )
    try:
        wait_http(proc, "/health/live", timeout=300)
        ready = httpx.get(f"{proc.url}/health/ready", timeout=5)
        assert ready.status_code == 503 and "no published model" in ready.json()["detail"]["error"]
        assert score_path in httpx.get(f"{proc.url}/openapi.json", timeout=5).json()["paths"]
        response = httpx.post(f"{proc.url}{score_path}", json={"user_id": 1}, timeout=5)
        assert response.status_code in (422, 503)  # fraud needs more fields; churn has no model
        assert response.json()["error"]["code"] in ("invalid_request", "model_unavailable")
    finally:
        proc.stop()
