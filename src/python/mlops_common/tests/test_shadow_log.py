"""The shadow log's writer and reader: day files, version filters, torn and corrupt lines."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest

from mlops_common.settings import PlatformSettings
from mlops_common.shadow_log import (
    WRITE_LINES,
    ShadowLogError,
    ShadowLogWriter,
    ShadowRecord,
    day_file,
    logged_days,
    read_shadow_log,
)

MODEL = "fraud_detection_xgboost"


def record(ts: str, n: int, challenger: str = "2", **extra: object) -> ShadowRecord:
    values: dict[str, object] = {
        "ts": ts,
        "request_id": f"r{n}",
        "entity_id": 1000 + n,
        "event_id": n,
        "champion_version": "1",
        "challenger_version": challenger,
        "champion_score": 0.1,
        "challenger_score": 0.9,
        "champion_label": "approve",
        "challenger_label": "review",
    }
    values.update(extra)
    return ShadowRecord(**values)  # type: ignore[arg-type]


def test_batch_spanning_midnight_lands_in_two_day_files(tmp_path: Path) -> None:
    writer = ShadowLogWriter(tmp_path, MODEL)
    batch = [
        record("2026-12-01T23:59:59.900000+00:00", 1),
        # 01:30 in UTC+2 is 23:30 UTC of the day before: the UTC day decides the file
        record("2026-12-02T01:30:00+02:00", 2),
        record("2026-12-02T00:00:00.100000+00:00", 3),
    ]
    assert writer.append_many(batch) == 3
    assert writer.append_many([]) == 0
    first = day_file(tmp_path, MODEL, date(2026, 12, 1)).read_text().splitlines()
    second = day_file(tmp_path, MODEL, date(2026, 12, 2)).read_text().splitlines()
    assert [json.loads(line)["request_id"] for line in first] == ["r1", "r2"]
    assert [json.loads(line)["request_id"] for line in second] == ["r3"]
    assert logged_days(tmp_path, MODEL) == [date(2026, 12, 1), date(2026, 12, 2)]
    back = list(read_shadow_log(tmp_path, MODEL, date(2026, 12, 1), date(2026, 12, 2)))
    assert back == batch
    only_second = list(read_shadow_log(tmp_path, MODEL, date(2026, 12, 2), date(2026, 12, 2)))
    assert [r.request_id for r in only_second] == ["r3"]


def test_reader_filters_by_version_pair(tmp_path: Path) -> None:
    writer = ShadowLogWriter(tmp_path, MODEL)
    writer.append_many(
        [record("2026-12-01T10:00:00+00:00", 1), record("2026-12-01T10:00:01+00:00", 2, "3")]
    )
    day = date(2026, 12, 1)
    got = read_shadow_log(tmp_path, MODEL, day, day, champion_version="1", challenger_version="3")
    assert [r.request_id for r in got] == ["r2"]


def test_torn_last_line_is_skipped_and_corrupt_line_is_named(tmp_path: Path) -> None:
    writer = ShadowLogWriter(tmp_path, MODEL)
    writer.append(record("2026-12-01T10:00:00+00:00", 1))
    path = day_file(tmp_path, MODEL, date(2026, 12, 1))
    with path.open("a") as handle:
        handle.write('{"ts": "2026-12-01T10:00:01+00:00", "request_')  # a write in progress
    day = date(2026, 12, 1)
    assert [r.request_id for r in read_shadow_log(tmp_path, MODEL, day, day)] == ["r1"]
    with path.open("a") as handle:
        handle.write("\n")  # the torn line is now a complete, broken line
    with pytest.raises(ShadowLogError, match=r"2026-12-01.jsonl:2"):
        list(read_shadow_log(tmp_path, MODEL, day, day))


def test_concurrent_threads_never_interleave_lines(tmp_path: Path) -> None:
    writer = ShadowLogWriter(tmp_path, MODEL)

    def write(thread: int) -> None:
        for batch in range(20):
            writer.append_many(
                [
                    record("2026-12-01T10:00:00+00:00", thread * 10_000 + batch * 100 + i)
                    for i in range(50)
                ]
            )

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    day = date(2026, 12, 1)
    ids = [r.request_id for r in read_shadow_log(tmp_path, MODEL, day, day)]
    assert len(ids) == 4 * 20 * 50 == len(set(ids))


def test_record_validation_and_round_trip() -> None:
    with pytest.raises(ShadowLogError, match="decided_by"):
        record("2026-12-01T10:00:00+00:00", 1, decided_by="canary")
    with pytest.raises(ShadowLogError, match="error"):
        record("2026-12-01T10:00:00+00:00", 1, challenger_score=None, challenger_label=None)
    failed = record(
        "2026-12-01T10:00:00+00:00", 1, challenger_score=None, challenger_label=None, error="ort"
    )
    assert failed.agrees is None and record("2026-12-01T10:00:00Z", 2).agrees is False
    with pytest.raises(ShadowLogError, match="time zone"):
        ShadowRecord.from_dict(
            record("2026-12-01T10:00:00+00:00", 1).to_dict() | {"ts": "2026-12-01T10:00:00"}
        )
    newer = record("2026-12-01T10:00:00+00:00", 1).to_dict() | {"new_field": 1}
    assert ShadowRecord.from_dict(newer) == record("2026-12-01T10:00:00+00:00", 1)


def test_platform_settings_shadow_root(tmp_path: Path) -> None:
    assert PlatformSettings(home=tmp_path).resolved_shadow_root() == tmp_path / "shadow"
    explicit = PlatformSettings(home=tmp_path, shadow_root=tmp_path / "x")
    assert explicit.resolved_shadow_root() == tmp_path / "x"


def test_encoded_lines_over_several_writes_keep_their_order(tmp_path: Path) -> None:
    """The services' path: pre-encoded lines, more than one write's worth (WRITE_LINES)."""
    writer = ShadowLogWriter(tmp_path, MODEL)
    count = 2 * WRITE_LINES + 7
    lines = [
        json.dumps(asdict(record("2026-12-02T12:00:00+00:00", n))).encode() for n in range(count)
    ]
    assert writer.append_lines({"2026-12-02": lines}) == count
    day = date(2026, 12, 2)
    assert [r.event_id for r in read_shadow_log(tmp_path, MODEL, day, day)] == list(range(count))
