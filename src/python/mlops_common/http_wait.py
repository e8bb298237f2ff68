"""Waiting for a process we started to answer HTTP (services, MLflow, exporters).

Standard library only, so every resolve can use it. It stops waiting as soon as the process
exits, and the error carries the tail of the process' log: the reason is almost always there.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


class NotReadyError(RuntimeError):
    """The process exited or did not answer 200 in time; the message holds its log's tail."""


def answers_ok(url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status: int = response.status
            return status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(
    url: str, process: subprocess.Popen[Any], log: Path, timeout_s: float = 240, poll_s: float = 0.5
) -> None:
    """Return once ``url`` answers 200; raise :class:`NotReadyError` if ``process`` exits first
    or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if answers_ok(url):
            return
        if process.poll() is not None:
            raise NotReadyError(
                f"{url}: the process exited with {process.returncode}:\n{_tail(log)}"
            )
        time.sleep(poll_s)
    raise NotReadyError(f"{url} did not answer 200 within {timeout_s:.0f}s:\n{_tail(log)}")


def _tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return f"(no log at {log})"
