"""The promotion DAG's copy of the shadow log over the model API's ``GET /admin/shadow-log``.

The route itself runs in the real service in ``ml_model_services/tests/test_shadow_canary.py``;
here a stand-in with the same contract (404 = no log that day, 401 without the key, complete
lines) checks what lands in the training host's folder."""

from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from mlops_common.shadow_log import day_file
from mlops_orchestration_pipelines.utils.internal_api_client import (
    InternalApiClient,
    InternalApiError,
)
from mlops_orchestration_pipelines.utils.shadow_log_pull import pull_shadow_log

MODEL = "fraud_detection_xgboost"
LOG = {"2026-12-02": b'{"a":1}\n{"a":2}\n', "2026-11-30": b'{"a":0}\n'}


class _ShadowLogHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        day = parse_qs(parts.query).get("day", [""])[0]
        if self.headers.get("x-api-key") != "k1":
            status, body = 401, b'{"error": {"code": "unauthorized", "reason": "key"}}'
        elif parts.path != "/admin/shadow-log" or day not in LOG:
            status, body = 404, b'{"error": {"code": "not_found", "reason": "no log"}}'
        else:
            status, body = 200, LOG[day]
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def service_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ShadowLogHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_days_are_copied_and_never_shrunk(service_url: str, tmp_path: Path) -> None:
    client = InternalApiClient(service_url, api_key="k1")
    copied = pull_shadow_log(client, tmp_path, MODEL, days=5, today=date(2026, 12, 2))
    assert copied == {"2026-12-02": len(LOG["2026-12-02"]), "2026-11-30": 8}
    assert day_file(tmp_path, MODEL, date(2026, 12, 2)).read_bytes() == LOG["2026-12-02"]
    assert not day_file(tmp_path, MODEL, date(2026, 12, 1)).exists()
    # a longer local copy (the serving host was rebuilt) is kept; same size is nothing new
    longer = b'{"a":1}\n{"a":2}\n{"a":3}\n'
    day_file(tmp_path, MODEL, date(2026, 12, 2)).write_bytes(longer)
    assert pull_shadow_log(client, tmp_path, MODEL, days=5, today=date(2026, 12, 2)) == {}
    assert day_file(tmp_path, MODEL, date(2026, 12, 2)).read_bytes() == longer


def test_a_wrong_key_fails_the_task(service_url: str, tmp_path: Path) -> None:
    with pytest.raises(InternalApiError, match="401"):
        pull_shadow_log(
            InternalApiClient(service_url, api_key="bad"), tmp_path, MODEL, 1, date(2026, 12, 2)
        )
