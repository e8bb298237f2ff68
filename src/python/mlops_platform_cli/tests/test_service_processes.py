import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_common.ports import free_port
from mlops_platform_cli.service_processes import (
    ServiceSpec,
    ServiceStartError,
    pid_alive,
    start_service,
    stop_service,
)

SCRIPT = str(Path(__file__).with_name("tiny_service.py"))


def _spec(**env: str) -> ServiceSpec:
    port = free_port()
    return ServiceSpec("tiny", [sys.executable, SCRIPT, str(port)], port, env)


def test_waits_for_readiness_then_stops(tmp_path: Path) -> None:
    pid = start_service(_spec(READY_AFTER_S="1.0"), tmp_path, ready_timeout_s=20)
    assert pid_alive(pid) and (tmp_path / "tiny.pid").read_text() == str(pid)
    assert stop_service("tiny", tmp_path) is True
    assert not (tmp_path / "tiny.pid").exists()
    assert stop_service("tiny", tmp_path) is False


def test_crash_reports_log_tail(tmp_path: Path) -> None:
    with pytest.raises(ServiceStartError, match="model file missing"):
        start_service(_spec(CRASH="1"), tmp_path, ready_timeout_s=20)
    assert not (tmp_path / "tiny.pid").exists()


def test_never_ready_times_out_and_cleans_up(tmp_path: Path) -> None:
    with pytest.raises(ServiceStartError, match="not ready"):
        start_service(_spec(READY_AFTER_S="999"), tmp_path, ready_timeout_s=2)
    assert not (tmp_path / "tiny.pid").exists()


def test_an_exited_process_nobody_reaped_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{child.pid}/stat")
    deadline = time.monotonic() + 10
    while stat.read_text().rsplit(") ", 1)[1][:1] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert stat.read_text().rsplit(") ", 1)[1][:1] == "Z"  # exited, not yet waited for
        assert pid_alive(child.pid) is False
    finally:
        child.wait()
