"""``mlops-runner`` (role supervised_process) under a parent that does not reap its orphans.

The runner's processes are reparented to PID 1 or to the nearest subreaper: a container's
init, a CI or test runner. Such a parent may reap late or never, and a process that has exited
stays a zombie, which ``kill -0`` still finds. This test makes itself that parent.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import time
from pathlib import Path

import pytest

RUNNER = Path("src/ansible/roles/supervised_process/files/mlops-runner")
PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture(scope="module", autouse=True)
def _subreaper_that_never_reaps() -> None:
    """Orphans of this module's runner calls become this process's children, never waited."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, ctypes.get_errno()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    shutil.copy(RUNNER, tmp_path / "bin" / "mlops-runner")
    return tmp_path


def _launch(root: Path, name: str, body: str) -> Path:
    script = root / "bin" / f"{name}.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


def _runner(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / "bin" / "mlops-runner"), *args], capture_output=True, text=True, check=False
    )


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]


def test_stop_returns_as_soon_as_the_process_is_gone(root: Path) -> None:
    launch = _launch(root, "sleeper", "exec sleep 1000")
    started = _runner(root, "start", "sleeper", str(launch))
    assert started.stdout.startswith("started sleeper"), started
    pid = int((root / "run" / "sleeper.pid").read_text())

    t0 = time.monotonic()
    stopped = _runner(root, "stop", "sleeper")
    elapsed = time.monotonic() - t0

    assert stopped.stdout.strip() == "stopped sleeper", stopped
    assert _state(pid) == "Z"  # exited, and nobody reaped it: what kill -0 still finds
    assert elapsed < 3, f"stop waited {elapsed:.1f}s for a zombie (its timeout is 10 s)"
    assert _runner(root, "status", "sleeper").returncode == 3


def test_a_process_that_exited_on_its_own_is_not_running(root: Path) -> None:
    launch = _launch(root, "brief", "sleep 1")
    assert _runner(root, "start", "brief", str(launch)).returncode == 0
    pid = int((root / "run" / "brief.pid").read_text())
    deadline = time.monotonic() + 10
    while _state(pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _state(pid) == "Z"

    status = _runner(root, "status", "brief")
    assert (status.returncode, status.stdout.strip()) == (3, "not running brief")
    # ... so start starts it again instead of answering "running".
    again = _runner(root, "start", "brief", str(launch))
    assert again.stdout.startswith("started brief"), again
    assert int((root / "run" / "brief.pid").read_text()) != pid


def test_start_of_a_running_process_changes_nothing(root: Path) -> None:
    launch = _launch(root, "steady", "exec sleep 1000")
    first = _runner(root, "start", "steady", str(launch))
    pid = (root / "run" / "steady.pid").read_text().strip()
    try:
        second = _runner(root, "start", "steady", str(launch))
        assert second.stdout.strip() == f"running steady pid {pid}", (first, second)
    finally:
        assert _runner(root, "stop", "steady").stdout.strip() == "stopped steady"
