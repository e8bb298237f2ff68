from pathlib import Path

import pytest

from platform_infrastructure.ansible_runner import REPO_ANSIBLE_DIR, run_playbook

PLAYBOOK = REPO_ANSIBLE_DIR / "playbooks" / "platform_env.yml"


@pytest.fixture()
def ansible_home(tmp_path: Path) -> Path:
    return tmp_path / "ansible-home"


def test_syntax_check(ansible_home: Path) -> None:
    result = run_playbook(PLAYBOOK, ansible_home, syntax_check=True)
    assert result.returncode == 0, result.stderr


def test_renders_env_file_and_is_idempotent(ansible_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "etc-mlops"
    extra = {"platform_env_dir": str(target), "platform_env_redis_url": "redis://server2:6379/0"}
    first = run_playbook(PLAYBOOK, ansible_home, extra)
    assert first.returncode == 0, first.stderr + first.stdout[-2000:]
    assert first.stats()["localhost"]["changed"] == 2
    text = (target / "platform.env").read_text()
    assert "MLOPS_REDIS_URL=redis://server2:6379/0" in text
    assert "MLOPS_PROFILE=servers" in text
    second = run_playbook(PLAYBOOK, ansible_home, extra)
    assert second.stats()["localhost"]["changed"] == 0
