"""Run ansible-playbook/ansible-lint from Python with a private ANSIBLE_HOME.

Ansible writes to ``~/.ansible`` by default; tests and CI must not touch the user's home.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ANSIBLE_DIR = Path("src/ansible")


@dataclass(frozen=True)
class PlaybookResult:
    returncode: int
    stdout: str
    stderr: str

    def stats(self) -> dict[str, dict[str, int]]:
        """Per-host stats from the JSON callback output."""
        return json.loads(self.stdout)["stats"]


def ansible_env(ansible_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_HOME=str(ansible_home),
        ANSIBLE_LOCAL_TEMP=str(ansible_home / "tmp"),
        ANSIBLE_CONFIG=str(REPO_ANSIBLE_DIR.resolve() / "ansible.cfg"),
        ANSIBLE_ROLES_PATH=str(REPO_ANSIBLE_DIR.resolve() / "roles"),
        ANSIBLE_NOCOLOR="1",
    )
    return env






def run_playbook(
    playbook: Path,
    ansible_home: Path,
    extra_vars: dict[str, object] | None = None,
    *,
    syntax_check: bool = False,
) -> PlaybookResult:
    cmd = [
        sys.executable,
        "-c",
        "import sys; from ansible.cli.playbook import main; sys.exit(main())",
        "ansible-playbook",
        str(playbook),
        "-i",
        str(REPO_ANSIBLE_DIR / "inventories" / "dev" / "hosts.yml"),
    ]
    if extra_vars:
        cmd += ["--extra-vars", json.dumps(extra_vars)]
    if syntax_check:
        cmd.append("--syntax-check")
    env = ansible_env(ansible_home)
    if not syntax_check:
        env["ANSIBLE_STDOUT_CALLBACK"] = "json"
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr)
