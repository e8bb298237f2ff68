import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import ValidationError

from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.utils.internal_api_client import (
    InternalApiClient,
    InternalApiError,
)


def test_packaged_defaults_and_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = load_pipeline_variables(use_airflow=False)
    assert variables.backup_keep == 7
    assert variables.service_urls["fraud_detection"].startswith("http://")
    monkeypatch.setenv("MLOPS_PIPELINE_BACKUP_KEEP", "3")
    assert load_pipeline_variables(use_airflow=False).backup_keep == 3


def test_invalid_variables_fail_fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "vars.json"
    bad.write_text(
        json.dumps(
            {
                "pex_dir": "dist",
                "mlflow_db_dsn": "postgresql://h/x",
                "backup_dir": "b",
                "backup_keep": 0,
            }
        )
    )
    monkeypatch.setenv("MLOPS_PIPELINE_VARIABLES_FILE", str(bad))
    with pytest.raises(ValidationError, match="backup_keep"):
        load_pipeline_variables(use_airflow=False)
    monkeypatch.setenv("MLOPS_PIPELINE_VARIABLES_FILE", str(tmp_path / "missing.json"))
    with pytest.raises(FileNotFoundError, match="MLOPS_PIPELINE_VARIABLES_FILE"):
        load_pipeline_variables(use_airflow=False)


class _AdminHandler(BaseHTTPRequestHandler):
    calls: list[tuple[str, str, str | None]] = []

    def _reply(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self.calls.append(("POST", self.path, self.headers.get("x-api-key")))
        if self.headers.get("x-api-key") != "k1":
            self._reply(401, {"error": {"code": "unauthorized", "reason": "bad key"}})
        else:
            self._reply(200, {"model_version": "3"})

    def do_GET(self) -> None:
        # A service waiting for its first champion: alive, not ready.
        if self.path == "/health/live":
            self._reply(200, {"status": "alive"})
        else:
            self._reply(503, {"status": "not_ready"})

    def log_message(self, *args) -> None:
        pass


def test_internal_api_client_reload_auth_and_errors() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AdminHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        # The training DAG reloads a service that is live but not ready yet (no model).
        assert InternalApiClient(url).is_live() and not InternalApiClient(url).is_ready()
        assert InternalApiClient(url, api_key="k1").reload_model() == {"model_version": "3"}
        with pytest.raises(InternalApiError, match="401"):
            InternalApiClient(url, api_key="wrong").reload_model()
    finally:
        server.shutdown()
    assert _AdminHandler.calls[0] == ("POST", "/admin/reload", "k1")
    assert not InternalApiClient(url, timeout_s=1).is_live()
    with pytest.raises(InternalApiError, match="is the service running"):
        InternalApiClient(url, timeout_s=1).reload_model()
