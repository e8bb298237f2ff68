"""Prometheus metrics, request ids, JSON access logs and a body-size limit: one ASGI middleware.

Pure ASGI (not ``BaseHTTPMiddleware``) because it adds only microseconds per request. The
route *template* is the metric label, never the raw path, so label cardinality stays bounded.
Metric names come from :mod:`mlops_common.contracts.metrics`, which dashboards and alert rules
query.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlops_common.contracts import metrics as names

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = (*(round(0.05 * i, 2) for i in range(1, 20)), 0.99, 1.0)
FETCH_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
REQUEST_ID_HEADER = "x-request-id"
# The module's generator is reseeded in forked children; ids need uniqueness, not secrecy.
_random_bits = random.getrandbits


class ServiceMetrics:
    """The metric families one service exposes; one registry per app keeps tests isolated."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()  # no *_created series: they double the scrape size
        self.service = service
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            names.HTTP_REQUESTS_TOTAL,
            "HTTP requests by route, method and status.",
            ["service", "route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            names.HTTP_REQUEST_DURATION_SECONDS,
            "HTTP request latency by route.",
            ["service", "route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            names.HTTP_REQUESTS_IN_FLIGHT, "Requests being served now.", ["service"], registry=r
        )
        self.model_info = Gauge(
            names.MODEL_INFO,
            "The model version being served (value 1).",
            ["service", "model", "version", "alias"],
            registry=r,
        )
        self.score = Histogram(
            names.PREDICTION_SCORE,
            "Positive-class probability of each prediction.",
            ["service", "model"],
            buckets=SCORE_BUCKETS,
            registry=r,
        )
        self.labels = Counter(
            names.PREDICTION_LABELS_TOTAL,
            "Label Engine decisions by label.",
            ["service", "model", "label"],
            registry=r,
        )
        self.degraded = Counter(
            names.PREDICTIONS_DEGRADED_TOTAL,
            "Predictions served with default feature values.",
            ["service", "model"],
            registry=r,
        )
        self.feature_latency = Histogram(
            names.FEATURE_FETCH_DURATION_SECONDS,
            "Online feature store read latency per request.",
            ["service", "model"],
            buckets=FETCH_BUCKETS,
            registry=r,
        )
        self.feature_fallbacks = Counter(
            names.FEATURE_FETCH_FALLBACKS_TOTAL,
            "Feature reads answered with defaults, by reason.",
            ["service", "model", "reason"],
            registry=r,
        )
        self.reloads = Counter(
            names.MODEL_RELOADS_TOTAL,
            "Model (re)load attempts by outcome.",
            ["service", "model", "outcome"],
            registry=r,
        )
        self._in_flight = self.in_flight.labels(service)
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        """Cached labelled child (``.labels()`` costs a few µs per call)."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(self.service, *labels)
        return found

    def set_model(self, model: str, version: str, alias: str) -> None:
        """Exactly one ``mlops_model_info`` series per model: the version being served."""
        for sample_labels in list(self.model_info._metrics):
            if sample_labels[0] == self.service and sample_labels[1] == model:
                self.model_info.remove(*sample_labels)
        self.model_info.labels(self.service, model, version, alias).set(1)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class PayloadTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class AccessLog:
    """One JSON line per request (fields ``request_id``, ``latency_ms``, ``status``...).

    Lines written during one event-loop iteration go out in one write + flush at its end
    (one syscall for all requests finished together under load, and still no delay).
    """

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
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self.max_body_bytes = max_body_bytes

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
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        log_fields: dict[str, object] = {}
        state["log"] = log_fields
        status = 500
        header_id = request_id.encode("latin-1")
        limit = self.max_body_bytes

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

        gauge = self.metrics._in_flight
        gauge.inc()
        try:
            too_large = False
            if content_length is not None:
                try:
                    too_large = int(content_length) > limit
                except ValueError:
                    too_large = False
            if too_large:
                await _send_json(
                    send_wrapper,
                    413,
                    "payload_too_large",
                    f"request body larger than {limit} bytes",
                )
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            gauge.dec()
            elapsed = time.perf_counter() - started
            route_obj = scope.get("route")
            route = getattr(route_obj, "path", None) or "<unmatched>"
            method = scope["method"]
            m = self.metrics
            m.child(m.latency, route, method).observe(elapsed)
            m.child(m.requests, route, method, str(status)).inc()
            if self.access_log is not None and self.access_log.enabled:
                record: dict[str, object] = {
                    "ts": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
                    "level": "info" if status < 500 else "error",
                    "logger": "access",
                    "service": m.service,
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


async def _send_json(send: Send, status: int, code: str, reason: str) -> None:
    body = orjson.dumps({"error": {"code": code, "reason": reason}})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def metrics_endpoint(request: Request) -> Response:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics.render()
