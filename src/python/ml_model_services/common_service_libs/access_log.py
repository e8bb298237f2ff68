"""The JSON access log: one line per request, written in batches of one event-loop iteration.

Lines written during one iteration go out in one write + flush at its end: one syscall for
all requests finished together under load, and still no delay.
"""

from __future__ import annotations

import asyncio
import sys
from typing import IO

import orjson


class AccessLog:
    """One JSON line per request (fields ``request_id``, ``latency_ms``, ``status``...)."""

    def __init__(self, service: str, stream: IO[str] | None = None, enabled: bool = True) -> None:
        self.service = service
        self.stream = stream
        self.enabled = enabled
        self._pending: list[bytes] = []

    def write(self, record: dict[str, object]) -> None:
        if not self.enabled:
            return
        if not self._pending:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop (direct use): write now
                self._pending.append(orjson.dumps(record))
                self.flush()
                return
        self._pending.append(orjson.dumps(record))

    def flush(self) -> None:
        lines, self._pending = self._pending, []
        if not lines:
            return
        stream = self.stream or sys.stdout
        stream.write(b"\n".join(lines).decode() + "\n")
        stream.flush()
