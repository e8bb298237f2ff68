import io
import json
import logging

from mlops_common.json_logging import JsonFormatter
from mlops_common.progress import track


def test_track_prints_progress_and_summary() -> None:
    out = io.StringIO()
    items = list(track(range(5), "demo", stream=out, interval_s=0.0))
    assert items == [0, 1, 2, 3, 4]
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[demo] 1/5")
    assert "5/5 (100.0%)" in lines[-2]
    assert lines[-1].startswith("[demo] finished in")


def test_json_formatter_keeps_extra_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "api", "levelno": 20, "levelname": "INFO", "msg": "hit %s", "args": ("x",)}
    )
    record.request_id = "abc"
    payload = json.loads(JsonFormatter().format(record))
    assert payload["message"] == "hit x"
    assert payload["request_id"] == "abc"
    assert payload["level"] == "info"
