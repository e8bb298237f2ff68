"""wait_until_ready against real processes: one that serves, one that dies, one that is silent."""

import subprocess
import sys
from pathlib import Path

import pytest

from mlops_common.http_wait import NotReadyError, wait_until_ready
from mlops_common.ports import free_port


def start(code: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def test_returns_once_the_server_answers(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "ready").write_text("ok")
    log = tmp_path / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(tmp_path)],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/ready", proc, log, timeout_s=30)
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_process_that_exits_fails_fast_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "dying.log"
    proc = start("import sys; print('cannot bind: address in use'); sys.exit(3)", log)
    with pytest.raises(NotReadyError, match="exited with 3") as error:
        wait_until_ready(f"http://127.0.0.1:{free_port()}/", proc, log, timeout_s=60)
    assert "cannot bind: address in use" in str(error.value)


def test_a_silent_process_times_out(tmp_path: Path) -> None:
    log = tmp_path / "silent.log"
    proc = start("import time; print('still starting', flush=True); time.sleep(60)", log)
    try:
        with pytest.raises(NotReadyError, match="did not answer 200 within 2s"):
            wait_until_ready(f"http://127.0.0.1:{free_port()}/", proc, log, timeout_s=2)
    finally:
        proc.kill()
        proc.wait(timeout=10)
