"""The shadow log: one JSON line per request a challenger scored next to the champion.

Shared by the model services (they write it, off the hot path), training (``promote-challenger``
joins it with labels to decide a promotion) and monitoring; standard library only, so every
resolve can use it. One file per registered model per UTC day::

    <root>/<registered_model_name>/<YYYY-MM-DD>.jsonl      root default $MLOPS_HOME/shadow

The day is the record's own ``ts`` (UTC), so a batch that spans midnight lands in two files
and a reader asking for a date range never opens a file that cannot hold it.

Writing (:class:`ShadowLogWriter`): ``append_many`` serialises a batch to one ``bytes`` and
writes it with one ``os.write`` per day file opened ``O_APPEND``: one system call per batch
instead of one per record, and a reader never sees two writers' lines interleaved inside a
line. It is meant for one writer process per model and host (the service's background thread
drains a queue into it); a lock makes concurrent calls from several threads of that process
safe. A crash can leave the last line of a file unterminated: the reader skips an unterminated
final line (it may still be being written) and raises :class:`ShadowLogError` naming the file
and line for any other line that is not a record, because a silently dropped record would
change the evidence a promotion rests on.

How training gets the log: the services write under ``MLOPS_SHADOW_ROOT`` on the serving
host; ``promote-challenger`` reads ``MLOPS_SHADOW_ROOT`` on the training host. On one host
(embedded profile) that is the same folder. Across hosts (the servers) the daily
``promote_<model>_challenger`` DAG first copies the recent day files from the model API
(``GET /admin/shadow-log?day=``, complete lines only; ``mlops_orchestration_pipelines/utils/
shadow_log_pull.py``): day files are append-only and closed once the UTC day is over, so a
copy is always a valid prefix and a longer copy replaces a shorter one.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

SCHEMA_VERSION = 1
# Lines joined per write (~350 bytes each): the buffer stays below glibc's mmap threshold
# (128 KiB), so a service writing every 50 ms does not map and unmap fresh pages each time
# (one join of a whole tick cost the shadow API ~0.4 page faults a request, perf, 12-03).
WRITE_LINES = 256
# The registry version tag that says where a challenger stands: training writes it
# (common_ml_utils.shadow_promotion), the services serve a challenger only while it is IN_SHADOW.
SHADOW_STATE_TAG = "shadow_state"  # shadow | promoted | rejected_offline (or set by a person)
IN_SHADOW = "shadow"
ROLES = ("champion", "challenger")
DecidedBy = Literal["champion", "challenger"]
Key = str | int


class ShadowLogError(ValueError):
    """A shadow-log record or line is malformed; the message names the field or file:line."""


def utc_now_iso() -> str:
    """The record's ``ts`` format: ISO-8601 in UTC with an explicit ``+00:00``."""
    return datetime.now(UTC).isoformat()


def _parse_ts(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ShadowLogError(f"ts {value!r} is not ISO-8601 (use utc_now_iso())") from None
    if moment.utcoffset() is None:
        raise ShadowLogError(f"ts {value!r} has no time zone; write UTC (utc_now_iso())")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ShadowRecord:
    """One request both models scored on the same feature vector.

    ``entity_id`` is the model's entity join key (``user_id``), ``event_id`` what identifies
    the scored event when there is one (fraud: ``transaction_id``; churn: ``None``): training
    joins labels on ``event_id`` when present, else as of ``ts`` on ``entity_id``.
    ``decided_by`` says whose label the response carried (``challenger`` only for canary
    entities). ``challenger_score``/``challenger_label`` are ``None`` with ``error`` set when
    the challenger failed on this request; evidence counts those rows as errors, not
    disagreements.
    """

    ts: str
    request_id: str
    entity_id: Key
    event_id: Key | None
    champion_version: str
    challenger_version: str
    champion_score: float
    challenger_score: float | None
    champion_label: str
    challenger_label: str | None
    decided_by: DecidedBy = "champion"
    service: str | None = None
    error: str | None = None
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.decided_by not in ROLES:
            raise ShadowLogError(f"decided_by must be one of {ROLES}, got {self.decided_by!r}")
        if self.challenger_score is None and self.error is None:
            raise ShadowLogError("a record without challenger_score must say why in error")

    @property
    def day(self) -> date:
        """The UTC day whose file holds this record."""
        return _parse_ts(self.ts).date()

    @property
    def agrees(self) -> bool | None:
        """Same label from both models; ``None`` when the challenger failed."""
        if self.challenger_label is None:
            return None
        return self.champion_label == self.challenger_label

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShadowRecord:
        """A record from its JSON object; unknown keys (a newer writer) are ignored."""
        names = {f.name for f in fields(cls)}
        try:
            record = cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise ShadowLogError(f"not a shadow record ({exc})") from None
        _parse_ts(record.ts)
        return record


def default_root(home: Path) -> Path:
    """``$MLOPS_HOME/shadow`` (``PlatformSettings.resolved_shadow_root``)."""
    return Path(home) / "shadow"


def day_file(root: Path, registered_model_name: str, day: date) -> Path:
    return Path(root) / registered_model_name / f"{day.isoformat()}.jsonl"


class ShadowLogWriter:
    """Appends records of one registered model to its day files (see the module docstring)."""

    def __init__(self, root: Path, registered_model_name: str) -> None:
        self.folder = Path(root) / registered_model_name
        self.registered_model_name = registered_model_name
        self._lock = threading.Lock()

    def append(self, record: ShadowRecord) -> int:
        return self.append_many([record])

    def append_many(self, records: Iterable[ShadowRecord]) -> int:
        """Append ``records`` (any order, any days); return how many were written."""
        by_day: dict[str, list[bytes]] = {}
        for record in records:
            line = json.dumps(asdict(record), separators=(",", ":")).encode("utf-8")
            by_day.setdefault(record.day.isoformat(), []).append(line)
        return self.append_lines(by_day)

    def append_lines(self, by_day: dict[str, list[bytes]]) -> int:
        """Append already encoded records (one JSON object per line, no newline) per UTC day
        ``YYYY-MM-DD``: the services' worker encodes them itself (faster than ``asdict``);
        the reader validates every line into a :class:`ShadowRecord` either way."""
        written = 0
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            for day, lines in by_day.items():
                if not lines:
                    continue
                fd = os.open(self.folder / f"{day}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                try:
                    for start in range(0, len(lines), WRITE_LINES):
                        view = memoryview(b"\n".join(lines[start : start + WRITE_LINES]) + b"\n")
                        while view:  # a regular file takes it in one call; loop for a short write
                            view = view[os.write(fd, view) :]
                finally:
                    os.close(fd)
                written += len(lines)
        return written


def iter_day_file(path: Path) -> Iterator[ShadowRecord]:
    """Records of one day file; an unterminated last line (being written) is skipped."""
    with Path(path).open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.endswith(b"\n"):
                return
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                if not isinstance(data, dict):
                    raise ShadowLogError("not a JSON object")
                yield ShadowRecord.from_dict(data)
            except (json.JSONDecodeError, ShadowLogError) as exc:
                raise ShadowLogError(
                    f"{path}:{number}: {exc}; fix or move the line away and run again"
                ) from None


def read_shadow_log(
    root: Path,
    registered_model_name: str,
    start: date,
    end: date,
    *,
    champion_version: str | None = None,
    challenger_version: str | None = None,
) -> Iterator[ShadowRecord]:
    """Records of the UTC days ``start..end`` (inclusive), optionally of one version pair."""
    day = start
    while day <= end:
        path = day_file(root, registered_model_name, day)
        if path.exists():
            for record in iter_day_file(path):
                if champion_version is not None and record.champion_version != champion_version:
                    continue
                if (
                    challenger_version is not None
                    and record.challenger_version != challenger_version
                ):
                    continue
                yield record
        day += timedelta(days=1)


def logged_days(root: Path, registered_model_name: str) -> list[date]:
    """The days that have a file, oldest first (where a reader without dates starts)."""
    folder = Path(root) / registered_model_name
    days = []
    for path in folder.glob("*.jsonl") if folder.is_dir() else ():
        try:
            days.append(date.fromisoformat(path.stem))
        except ValueError:
            continue
    return sorted(days)
