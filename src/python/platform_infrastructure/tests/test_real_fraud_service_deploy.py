"""The model_service role deploys the real fraud API PEX against a real MLflow registry.

The fake service (test_model_service_deploy) exercises rollback cheaply; this test proves the
role's environment and arguments fit the real service: the PEX starts under the runner,
fetches the registry's ``champion`` over MLflow's REST API, reads Redis, and answers
``/health/ready`` and an authenticated scoring call. A second run changes nothing.
"""

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_common.http_wait import wait_until_ready
from mlops_common.ports import free_port
from platform_infrastructure import process_runner
from platform_infrastructure.ansible_runner import REPO_ANSIBLE_DIR, run_playbook

PLAYBOOK = REPO_ANSIBLE_DIR / "playbooks" / "deploy_model_service.yml"
FRAUD_PEX = Path("src.python.ml_model_services.fraud_detection_api/fraud-detection-api.pex")
FIXTURE_PEX = Path("src.python.ml_model_development.testing/serving-fixture.pex")
SERVICE = "fraud-detection-api"
API_KEY = "deploy-test-key"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow server with a registered fraud model whose ``champion`` is version 1."""
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    env = {**os.environ, "PEX_ROOT": str(root / "pex_root")}
    log = (root / "mlflow.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(FIXTURE_PEX), "mlflow-server", "--port", str(port),
         "--root", str(root / "mlflow")],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{uri}/health", server, root / "mlflow.log", timeout_s=300)
        registered = subprocess.run(
            [sys.executable, str(FIXTURE_PEX), "register", "fraud", "--tracking-uri", uri,
             "--home", str(root / "home"), "--versions", "1"],
            env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert registered.returncode == 0, registered.stdout[-2000:] + registered.stderr[-3000:]
        yield uri
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


@pytest.fixture()
def mlops_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "mlops"
    yield root
    process_runner.stop(root, SERVICE)


def test_role_deploys_the_real_fraud_api_and_is_idempotent(
    registry: str, mlops_root: Path, tmp_path: Path
) -> None:
    port = free_port()
    extra = {
        "mlops_root": str(mlops_root),
        "model_service_name": SERVICE,
        "model_service_pex": str(FRAUD_PEX.resolve()),
        "model_service_port": port,
        "model_service_python": sys.executable,
        "model_service_api_key": API_KEY,
        "mlflow_host": "127.0.0.1",
        "mlflow_port": int(registry.rsplit(":", 1)[1]),
        "redis_host": "127.0.0.1",
        "redis_port": 6379,
        "model_service_ready_retries": 90,
        "model_service_ready_delay": 2,
    }
    home = tmp_path / "ansible-home"
    first = run_playbook(PLAYBOOK, home, extra)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    status, body = process_runner.http_get(f"http://127.0.0.1:{port}/health/ready")
    assert status == 200, body

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/fraud/score",
        data=json.dumps(
            {"user_id": 7, "amount": 120.0, "merchant_category": "travel", "country": "DE",
             "hour_of_day": 21}
        ).encode(),
        headers={"content-type": "application/json", "x-api-key": API_KEY},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        scored = json.loads(response.read())
    assert scored["model_version"] == "1"
    assert 0.0 <= scored["probability"] <= 1.0
    assert scored["label"] in ("approve", "review", "block")

    second = run_playbook(PLAYBOOK, home, extra)
    assert second.returncode == 0, second.stdout[-3000:]
    assert second.stats()["localhost"]["changed"] == 0, second.stdout[-3000:]
