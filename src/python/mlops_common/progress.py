"""Progress lines for long work (training, materialization, batch scoring).

A dependency-free reporter so every component prints progress the same way, whether it runs
in a terminal, in an Airflow task log or under CI.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


class Progress:
    """Prints ``[label] done/total (pct) elapsed, eta`` lines at most every ``interval_s``."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        interval_s: float = 1.0,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._interval_s = interval_s
        self._started = time.monotonic()
        self._last_print = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last_print >= self._interval_s or (self.total and self.done >= self.total):
            self._last_print = now
            self._emit(now)

    def _emit(self, now: float) -> None:
        elapsed = now - self._started
        if self.total:
            pct = 100.0 * self.done / self.total
            rate = self.done / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else float("nan")
            line = f"[{self.label}] {self.done}/{self.total} ({pct:5.1f}%) {elapsed:6.1f}s eta {eta:5.1f}s"
        else:
            line = f"[{self.label}] {self.done} done {elapsed:6.1f}s"
        print(line, file=self._stream, flush=True)

    def finish(self, summary: str = "") -> float:
        """Print the final line and return the elapsed seconds."""
        elapsed = time.monotonic() - self._started
        suffix = f": {summary}" if summary else ""
        print(f"[{self.label}] finished in {elapsed:.1f}s{suffix}", file=self._stream, flush=True)
        return elapsed


def track(items: Iterable[T], label: str, total: int | None = None, **kwargs: Any) -> Iterator[T]:
    """Iterate over ``items`` while printing progress lines."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    progress = Progress(label, total, **kwargs)
    for item in items:
        yield item
        progress.advance()
    progress.finish()
