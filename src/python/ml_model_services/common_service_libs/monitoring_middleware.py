"""Request ids, a body-size limit, HTTP metrics and the JSON access log: one ASGI middleware.

Pure ASGI (not ``BaseHTTPMiddleware``) because it adds only microseconds per request. The
route *template* is the metric label, never the raw path, so label cardinality stays bounded.
Metric names come from :mod:`mlops_common.contracts.metrics`, which dashboards and alert rules
query (the metrics themselves: :mod:`.service_metrics`).

**Fast routes** (the single-prediction endpoint, :mod:`.fast_path`) are answered from here
directly: the route returns ``(status, body)`` and this middleware sends it with its
``x-request-id`` — no wrapped ``send``/``receive`` closures, no scope state, one timing, one
metrics update and one access-log record per request (profiled at ~42 µs of CPU per request
for fast path + middleware before, 2026-12-02).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ml_model_services.common_service_libs.access_log import AccessLog
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics

REQUEST_ID_HEADER = "x-request-id"
CONTENT_TYPE_JSON = (b"content-type", b"application/json")
# The module's generator is reseeded in forked children; ids need uniqueness, not secrecy.
_random_bits = random.getrandbits

__all__ = ["AccessLog", "FastRoute", "ObservabilityMiddleware", "PayloadTooLarge", "ServiceMetrics"]


class FastRoute(Protocol):
    """A route the middleware answers directly (``POST <path>``)."""

    path: str

    async def respond(
        self, scope: Scope, receive: Receive, request_id: str, log_fields: dict[str, Any]
    ) -> tuple[int, bytes]: ...


class PayloadTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class ObservabilityMiddleware:
    """Request id, size limit, Prometheus HTTP metrics and the access log for every request.

    Handlers add fields to the log line through ``request.state.log`` (a dict).
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: ServiceMetrics,
        access_log: AccessLog | None = None,
        max_body_bytes: int = 1_048_576,
        fast_routes: list[FastRoute] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log if access_log is not None and access_log.enabled else None
        self.max_body_bytes = max_body_bytes
        self.fast_routes = {r.path: r for r in fast_routes or ()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = ""
        content_length = None
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                request_id = value.decode("latin-1")[:128]
            elif key == b"content-length":
                content_length = value
        if not request_id:
            request_id = f"{_random_bits(64):016x}"  # no syscall, unlike uuid4
        log_fields: dict[str, object] = {}
        limit = self.max_body_bytes
        too_large = False
        if content_length is not None:
            try:
                too_large = int(content_length) > limit
            except ValueError:
                too_large = False
        gauge = self.metrics._in_flight
        gauge.value += 1
        fast = self.fast_routes.get(scope["path"]) if scope["method"] == "POST" else None
        if fast is not None and not too_large:
            route = fast.path
            status = 500
            try:
                status, body = await fast.respond(scope, receive, request_id, log_fields)
                await _send_body(send, status, body, request_id, close=False)
            finally:
                gauge.value -= 1
                self._done(scope, route, status, started, request_id, log_fields)
            return
        status = 500
        header_id = request_id.encode("latin-1")
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["log"] = log_fields

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", header_id)]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        try:
            if too_large:
                status = 413
                body = orjson.dumps(error_json("payload_too_large", limit_reason(limit)))
                await _send_body(send, 413, body, request_id, close=True)
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            gauge.value -= 1
            route_obj = scope.get("route")
            route = getattr(route_obj, "path", None) or "<unmatched>"
            self._done(scope, route, status, started, request_id, log_fields)

    def _done(
        self,
        scope: Scope,
        route: str,
        status: int,
        started: float,
        request_id: str,
        log_fields: dict[str, object],
    ) -> None:
        """The request's one metrics update and one access-log record."""
        elapsed = time.perf_counter() - started
        method = scope["method"]
        self.metrics.request_done(route, method, status, elapsed)
        if self.access_log is None:
            return
        record: dict[str, object] = {
            "ts": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
            "level": "info" if status < 500 else "error",
            "logger": "access",
            "service": self.metrics.service,
            "request_id": request_id,
            "method": method,
            "path": scope["path"],
            "route": route,
            "status": status,
            "latency_ms": round(elapsed * 1000, 3),
        }
        client = scope.get("client")
        if client:
            record["client"] = client[0]
        if log_fields:
            record.update(log_fields)
        self.access_log.write(record)


def limit_reason(limit: int) -> str:
    return f"request body larger than {limit} bytes"


def error_json(code: str, reason: str) -> dict[str, object]:
    return {"error": {"code": code, "reason": reason}}


async def _send_body(send: Send, status: int, body: bytes, request_id: str, close: bool) -> None:
    """One JSON response with a ``content-length`` (no chunked encoding) and its request id."""
    headers = [
        CONTENT_TYPE_JSON,
        (b"content-length", b"%d" % len(body)),
        (b"x-request-id", request_id.encode("latin-1")),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def metrics_endpoint(request: Request) -> Response:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics.render()
