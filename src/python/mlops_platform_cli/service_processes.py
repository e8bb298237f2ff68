"""Start, wait for and stop long-running service PEXes without a process supervisor.

Used by ``mlops serve``/``mlops stop`` on a laptop (the servers' equivalent without systemd is
the shell script ``mlops-runner`` of the Ansible role ``supervised_process``). Each service gets a
pid file and a log file under ``<run_dir>``; "ready" means its ``/health/ready`` answered 200,
not merely that the process started, so callers never send traffic to a half-loaded model.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mlops_common.http_wait import NotReadyError, wait_until_ready


class ServiceStartError(RuntimeError):
    """The service exited or never became ready; the message holds its last log lines."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    command: list[str]
    port: int
    env: dict[str, str]
    ready_path: str = "/health/ready"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs; an exited process nobody has reaped yet (a zombie) is gone.

    ``mlops stop`` stops what an earlier ``mlops serve`` started, which is no longer its child:
    the process was reparented to PID 1 or a subreaper (a container's init, a test runner) that
    may reap late or never, and ``kill(pid, 0)`` alone would wait out the whole timeout.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # no /proc (not Linux): kill() is all there is
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(") ", 1)[1][:1] != "Z"
    return True


def stop_service(name: str, run_dir: Path, timeout_s: float = 10.0) -> bool:
    """Stop the service's process group; True if something was running."""
    pid_file = run_dir / f"{name}.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().strip() or 0)
    pid_file.unlink()
    if pid <= 0 or not pid_alive(pid):
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap our own child so it stops counting as alive
    if pid_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    return True


def start_service(spec: ServiceSpec, run_dir: Path, ready_timeout_s: float = 60.0) -> int:
    """Start ``spec`` in its own process group and block until it is ready; return its pid."""
    run_dir.mkdir(parents=True, exist_ok=True)
    stop_service(spec.name, run_dir)
    log_path = run_dir / f"{spec.name}.log"
    env = dict(os.environ)
    env.update(spec.env)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            spec.command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    (run_dir / f"{spec.name}.pid").write_text(str(proc.pid))
    url = spec.base_url + spec.ready_path
    try:
        wait_until_ready(url, proc, log_path, timeout_s=ready_timeout_s, poll_s=0.2)
    except NotReadyError as exc:
        if proc.poll() is not None:
            (run_dir / f"{spec.name}.pid").unlink(missing_ok=True)
            reason = f"exited with {proc.returncode} before becoming ready"
        else:
            stop_service(spec.name, run_dir)
            reason = f"not ready on {url} after {ready_timeout_s:.0f}s"
        raise ServiceStartError(
            f"{spec.name} {reason}; last lines of {log_path}:\n{_tail(log_path)}"
        ) from exc
    return proc.pid


def python_command(pex: Path) -> list[str]:
    """Run a PEX with this interpreter (3.11), not whatever ``python3`` is on PATH."""
    return [sys.executable, str(pex)]
