"""Deploy a PEX for real with the model_service role, then a broken one that must roll back."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_common.ports import free_port
from platform_infrastructure import process_runner
from platform_infrastructure.ansible_runner import REPO_ANSIBLE_DIR, run_playbook

PLAYBOOK = REPO_ANSIBLE_DIR / "playbooks" / "deploy_model_service.yml"
PEX_DIR = Path("src.python.platform_infrastructure.testing")
GOOD_PEX = PEX_DIR / "fake-model-service.pex"
NEVER_READY_PEX = PEX_DIR / "fake-model-service-never-ready.pex"
SERVICE = "fraud-detection-api"


@pytest.fixture()
def mlops_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "mlops"
    yield root
    process_runner.stop(root, SERVICE)


def _extra(root: Path, port: int, pex: Path) -> dict[str, object]:
    return {
        "mlops_root": str(root),
        "model_service_name": SERVICE,
        "model_service_pex": str(pex.resolve()),
        "model_service_port": port,
        "model_service_python": sys.executable,
        "model_service_ready_retries": 8,
        "model_service_ready_delay": 1,
    }


def test_deploy_is_ready_idempotent_and_broken_release_rolls_back(
    mlops_root: Path, tmp_path: Path
) -> None:
    home = tmp_path / "ansible-home"
    port = free_port()
    health = f"http://127.0.0.1:{port}/health/ready"

    first = run_playbook(PLAYBOOK, home, _extra(mlops_root, port, GOOD_PEX))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    status, body = process_runner.http_get(health)
    assert status == 200 and json.loads(body)["release"] == SERVICE
    good_release = (mlops_root / "services" / SERVICE / "current.pex").resolve()
    assert (
        (mlops_root / "services" / SERVICE / "config" / "service.env")
        .read_text()
        .count("MLOPS_SERVICE_PORT")
    )

    second = run_playbook(PLAYBOOK, home, _extra(mlops_root, port, GOOD_PEX))
    assert second.returncode == 0, second.stdout[-3000:]
    assert second.stats()["localhost"]["changed"] == 0, second.stdout[-3000:]

    broken = run_playbook(PLAYBOOK, home, _extra(mlops_root, port, NEVER_READY_PEX))
    assert broken.returncode != 0, "a release that never gets ready must fail the deployment"
    assert "rolled back to" in broken.stdout, broken.stdout[-3000:]
    assert broken.stats()["localhost"]["failed"] == 1
    # The previous release serves again, from the same path.
    assert (mlops_root / "services" / SERVICE / "current.pex").resolve() == good_release
    status, body = process_runner.http_get(health)
    assert status == 200 and json.loads(body) == {"ready": True, "release": SERVICE}


def test_first_release_that_never_gets_ready_fails_without_rollback_target(
    mlops_root: Path, tmp_path: Path
) -> None:
    port = free_port()
    result = run_playbook(
        PLAYBOOK, tmp_path / "ansible-home", _extra(mlops_root, port, NEVER_READY_PEX)
    )
    assert result.returncode != 0
    assert "no previous release to roll back to" in result.stdout, result.stdout[-3000:]
