"""Run ansible-playbook/ansible-lint from Python with a private ANSIBLE_HOME.

Ansible writes to ``~/.ansible`` by default; tests and CI must not touch the user's home.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ANSIBLE_DIR = Path("src/ansible")
_RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counters>(?:\w+=\d+\s*)+)$", re.M)
_COUNTER = re.compile(r"(\w+)=(\d+)")


@dataclass(frozen=True)
class PlaybookResult:
    returncode: int
    stdout: str
    stderr: str

    def stats(self) -> dict[str, dict[str, int]]:
        """Per-host counters from the PLAY RECAP block (``ok=2 changed=1 ...``)."""
        recap = self.stdout.split("PLAY RECAP", 1)[-1]
        stats: dict[str, dict[str, int]] = {}
        for match in _RECAP_LINE.finditer(recap):
            counters = dict(_COUNTER.findall(match.group("counters")))
            stats[match.group("host")] = {k: int(v) for k, v in counters.items()}
        return stats


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


def inventory_path(name: str) -> Path:
    """``dev`` (everything on localhost), ``lab`` (three loopback servers) or ``prod``."""
    return REPO_ANSIBLE_DIR / "inventories" / name / "hosts.yml"


def run_playbook(
    playbook: Path,
    ansible_home: Path,
    extra_vars: Mapping[str, object] | None = None,
    *,
    syntax_check: bool = False,
    inventory: str = "dev",
    extra_args: list[str] | None = None,
) -> PlaybookResult:
    cmd = [
        sys.executable,
        "-c",
        "import sys; sys.argv[0] = 'ansible-playbook'; "
        "from ansible.cli.playbook import main; sys.exit(main())",
        str(playbook),
        "-i",
        str(inventory_path(inventory)),
    ]
    if extra_vars:
        cmd += ["--extra-vars", json.dumps(extra_vars)]
    if syntax_check:
        cmd.append("--syntax-check")
    cmd += extra_args or []
    env = ansible_env(ansible_home)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr)
