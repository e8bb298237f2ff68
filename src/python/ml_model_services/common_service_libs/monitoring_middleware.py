"""Prometheus metrics for every API, as a pure ASGI middleware.

Pure ASGI (not ``BaseHTTPMiddleware``) because it adds only a few microseconds per request;
the route *template* is the label, never the raw path, so label cardinality stays bounded.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The metric families one service exposes; one registry per app keeps tests isolated."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "mlops_http_requests_total",
            "HTTP requests by route, method and status.",
            ["service", "route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mlops_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["service", "route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "mlops_http_requests_in_flight",
            "Requests being served now.",
            ["service"],
            registry=self.registry,
        )

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _route_template(app: ASGIApp, scope: Scope) -> str:
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return getattr(route, "path", scope["path"])
    return "<unmatched>"


class PrometheusMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, routed_app: ASGIApp) -> None:
        self.app = app
        self.metrics = metrics
        self.routed_app = routed_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _route_template(self.routed_app, scope)
        method = scope["method"]
        status = 500
        gauge = self.metrics.in_flight.labels(self.metrics.service)
        gauge.inc()
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            gauge.dec()
            service = self.metrics.service
            self.metrics.latency.labels(service, route, method).observe(
                time.perf_counter() - started
            )
            self.metrics.requests.labels(service, route, method, str(status)).inc()


async def metrics_endpoint(request: Request) -> Response:
    return request.app.state.metrics.render()
