import subprocess
import sys
from pathlib import Path

from platform_infrastructure.ansible_runner import REPO_ANSIBLE_DIR, ansible_env


def test_ansible_lint_is_clean(tmp_path: Path) -> None:
    env = ansible_env(tmp_path / "ansible-home")
    env["HOME"] = str(tmp_path)  # ansible-lint caches under ~/.cache
    proc = subprocess.run(
        [sys.executable, "-m", "ansiblelint", "--offline", "--nocolor", "-p", "playbooks", "roles"],
        cwd=REPO_ANSIBLE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
