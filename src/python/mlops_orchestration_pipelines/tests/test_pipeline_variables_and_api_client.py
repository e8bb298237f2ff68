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
from mlops_orchestration_pipelines.utils.internal_api_hook import InternalApiHook


def test_packaged_defaults_and_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = load_pipeline_variables(use_airflow=False)
    assert variables.backup_keep == 7
    assert variables.pex_dir.name == "dist"
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
    alerts: list[dict] = []

    def _reply(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self.calls.append(("POST", self.path, self.headers.get("x-api-key")))
        if self.path == "/alerts":
            length = int(self.headers.get("content-length", 0))
            self.alerts.append(json.loads(self.rfile.read(length)))
            return self._reply(200, {})
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


@pytest.fixture()
def admin_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AdminHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


def _set_conn(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> None:
    """Define a Connection the Airflow way: AIRFLOW_CONN_<ID> in JSON."""
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "http", **fields})
    )


def test_hook_reads_the_service_connection(monkeypatch: pytest.MonkeyPatch, admin_server) -> None:
    monkeypatch.delenv("MLOPS_SERVICE_API_KEY", raising=False)
    assert InternalApiHook.for_use_case("fraud_detection") is None  # not defined: callers skip
    _set_conn(
        monkeypatch,
        "mlops_fraud_detection_api",
        host="127.0.0.1",
        port=admin_server,
        schema="http",
        password="k1",
    )
    hook = InternalApiHook.for_use_case("fraud_detection")
    assert hook is not None and hook.base_url() == f"http://127.0.0.1:{admin_server}"
    client = hook.get_conn()
    assert client.is_live() and client.reload_model() == {"model_version": "3"}
    assert ("POST", "/admin/reload", "k1") in _AdminHandler.calls
    _set_conn(monkeypatch, "mlops_fraud_detection_api", host="127.0.0.1", port=admin_server)
    with pytest.raises(InternalApiError, match="401"):  # no key in the connection or env
        InternalApiHook.for_use_case("fraud_detection").get_conn().reload_model()  # type: ignore[union-attr]
    _set_conn(monkeypatch, "mlops_broken_api", port=admin_server)
    with pytest.raises(ValueError, match="AIRFLOW_CONN_MLOPS_BROKEN_API"):
        InternalApiHook("mlops_broken_api").base_url()


def test_failure_notifier_logs_and_posts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, admin_server
) -> None:
    from types import SimpleNamespace

    from mlops_orchestration_pipelines.notifiers import FailureNotifier

    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    ti = SimpleNamespace(dag_id="train_x", task_id="train", try_number=3, log_url="http://l")
    context = {"ti": ti, "run_id": "manual__1", "exception": RuntimeError("trainer exit 2")}
    FailureNotifier()(context)  # no webhook connection: the log line only
    _set_conn(monkeypatch, "mlops_alert_webhook", host=f"http://127.0.0.1:{admin_server}/alerts")
    FailureNotifier()(context)
    lines = (tmp_path / "notifications" / "failures.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2
    assert records[0]["dag_id"] == "train_x" and records[0]["task_id"] == "train"
    assert records[0]["error"] == "RuntimeError: trainer exit 2"
    assert _AdminHandler.alerts[-1]["run_id"] == "manual__1" and len(_AdminHandler.alerts) == 1
    # An unreachable webhook must not raise over the task's own failure.
    _set_conn(monkeypatch, "mlops_alert_webhook", host="http://127.0.0.1:9/alerts")
    FailureNotifier()(context)
