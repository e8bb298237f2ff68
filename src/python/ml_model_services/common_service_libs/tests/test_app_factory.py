from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope

from ml_model_services.common_service_libs.access_log import AccessLog
from ml_model_services.common_service_libs.app_factory import create_service_app
from ml_model_services.common_service_libs.error_handlers import ServiceError


class Item(BaseModel):
    amount: float = Field(ge=0, le=1_000_000)


def _app(ready: bool = True):
    app = create_service_app("demo", readiness=lambda: (ready, "model v3" if ready else "no model"))

    @app.post("/score/{entity_id}")
    async def score(entity_id: str, item: Item) -> dict[str, float]:
        if entity_id == "boom":
            raise RuntimeError("secret internals")
        if entity_id == "gone":
            raise ServiceError(404, "unknown_entity", f"no entity {entity_id}")
        return {"score": item.amount / 10}

    return app


def test_probes_and_readiness() -> None:
    assert TestClient(_app()).get("/health/ready").json() == {
        "status": "ready",
        "detail": "model v3",
    }
    not_ready = TestClient(_app(ready=False)).get("/health/ready")
    assert not_ready.status_code == 503
    assert not_ready.json()["detail"] == "no model"


def test_errors_are_json_with_code_and_reason() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    bad = client.post("/score/u1", json={"amount": -5})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_request"
    assert "amount" in bad.json()["error"]["reason"]
    assert (
        client.post("/score/gone", json={"amount": 1}).json()["error"]["code"] == "unknown_entity"
    )
    crash = client.post("/score/boom", json={"amount": 1}, headers={"x-request-id": "r-1"})
    assert crash.status_code == 500
    assert "secret internals" not in crash.text
    assert crash.json()["error"]["request_id"] == "r-1"
    assert client.get("/nope").json()["error"]["code"] == "not_found"


def test_metrics_use_route_templates() -> None:
    client = TestClient(_app())
    for entity in ("a", "b", "c"):
        assert client.post(f"/score/{entity}", json={"amount": 10}).json() == {"score": 1.0}
    client.post("/score/a", json={"amount": "x"})
    text = client.get("/metrics").text
    assert (
        'mlops_http_requests_total{method="POST",route="/score/{entity_id}",service="demo",status="200"} 3.0'
        in text
    )
    assert 'status="422"' in text
    assert "/score/a" not in text
    assert 'mlops_http_requests_in_flight{service="demo"}' in text


class RecordingLog(AccessLog):
    """The access log's records, kept instead of written."""

    def __init__(self) -> None:
        super().__init__("demo")
        self.records: list[dict[str, object]] = []

    def write(self, record: dict[str, object]) -> None:
        self.records.append(record)


class CountingFastRoute:
    """A fast route that answers ``(200, body)`` and counts its calls."""

    path = "/fast"

    def __init__(self) -> None:
        self.calls = 0

    async def respond(
        self, scope: Scope, receive: Receive, request_id: str, log_fields: dict[str, Any]
    ) -> tuple[int, bytes]:
        self.calls += 1
        log_fields["answered_by"] = "fast"
        return 200, b'{"ok":true}'


def test_fast_routes_are_answered_in_front_of_the_stack_and_counted_once() -> None:
    fast = CountingFastRoute()
    access_log = RecordingLog()
    app = create_service_app("demo", fast_routes=[fast], access_log=access_log)

    @app.middleware("http")
    async def stack_marker(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["x-stack"] = "yes"
        return response

    @app.get("/fast")
    async def fast_get() -> dict[str, str]:
        return {"via": "stack"}

    client = TestClient(app)
    answered = client.post("/fast", json={}, headers={"x-request-id": "r-9"})
    assert answered.json() == {"ok": True} and fast.calls == 1
    assert answered.headers["x-request-id"] == "r-9" and "x-stack" not in answered.headers
    # the same path's GET takes the full stack
    got = client.get("/fast")
    assert got.json() == {"via": "stack"} and got.headers["x-stack"] == "yes"
    too_large = client.post("/fast", content=b"x" * 2_000_000)
    assert too_large.status_code == 413 and fast.calls == 1
    text = client.get("/metrics").text
    line = 'mlops_http_requests_total{method="POST",route="/fast",service="demo",status="200"} 1.0'
    assert line in text  # one request, counted once (not by both observability layers)
    fast_records = [r for r in access_log.records if r.get("answered_by") == "fast"]
    assert len(fast_records) == 1 and fast_records[0]["request_id"] == "r-9"
