"""Talk to processes that the Ansible roles started under ``mlops-runner`` (dev machines).

Tests use it to stop what a playbook started, so no process outlives its test.
"""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path


def runner_path(mlops_root: Path) -> Path:
    return mlops_root / "bin" / "mlops-runner"


def stop(mlops_root: Path, name: str) -> str:
    """Stop ``name`` if it runs; returns the runner's answer (``stopped``/``not running``)."""
    runner = runner_path(mlops_root)
    if not runner.exists():
        return "no runner installed"
    proc = subprocess.run([str(runner), "stop", name], capture_output=True, text=True, check=False)
    return proc.stdout.strip()


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """Status and body of a GET; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
