"""The skeleton every model API starts from: probes, metrics, JSON errors, access logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from ml_model_services.common_service_libs.access_log import AccessLog
from ml_model_services.common_service_libs.error_handlers import install_error_handlers
from ml_model_services.common_service_libs.error_responses import (
    use_error_response_for_validation,
)
from ml_model_services.common_service_libs.monitoring_middleware import (
    FastRoute,
    ObservabilityMiddleware,
    metrics_endpoint,
)
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics


class Readiness(BaseModel):
    """``/health/ready``'s body, 200 and 503 alike (a probe answer, not an error)."""

    status: str = Field(description="`ready` or `not_ready`.")
    detail: Any = Field(description="What the service can use: model, feature store...")


class ServiceApp(FastAPI):
    """FastAPI, with the fast routes answered before Starlette's middleware stack.

    ``POST`` to a fast route goes straight to an :class:`ObservabilityMiddleware` of its own
    (same metrics and access log as the stack's), skipping FastAPI's and Starlette's outer
    layers (server-error, telemetry and body-limit middleware, a ``send`` wrapper per
    message): ~5% of a prediction's CPU under load (py-spy, 2026-12-03). The fast route
    catches its own errors, so the server-error layer has nothing to add there. Everything
    else, the same path's other methods included, takes the full stack.
    """

    front: ObservabilityMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.front
        if (
            front is not None
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in front.fast_routes
        ):
            await front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_service_app(
    service: str,
    *,
    version: str = "0",
    readiness: Callable[[], tuple[bool, Any]] | None = None,
    access_log: AccessLog | None = None,
    max_body_bytes: int = 1_048_576,
    metrics: ServiceMetrics | None = None,
    inner_middleware: list[tuple[Callable[..., ASGIApp], dict[str, Any]]] | None = None,
    fast_routes: list[FastRoute] | None = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """Create a FastAPI app with ``/health/live``, ``/health/ready`` and ``/metrics``.

    ``readiness`` tells whether the service can answer predictions (model loaded...); the
    probes and ``/metrics`` stay unauthenticated so orchestrators and Prometheus can call them.
    ``fast_routes`` are answered by the observability middleware itself (the hot path).
    """
    app = ServiceApp(title=service, version=version, **fastapi_kwargs)
    app.state.metrics = metrics or ServiceMetrics(service)
    install_error_handlers(app)
    use_error_response_for_validation(app)

    @app.get("/health/live", tags=["probes"], summary="Liveness: the process answers")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get(
        "/health/ready",
        tags=["probes"],
        summary="Readiness: a model is loaded (features may be degraded)",
        responses={
            200: {"model": Readiness, "description": "A model is loaded."},
            503: {"model": Readiness, "description": "Not ready (no model loaded)."},
        },
        response_model=None,  # the annotation is for mypy; `responses` documents the body
    )
    async def ready() -> dict[str, Any] | JSONResponse:  # a JSONResponse on failure
        ok, detail = readiness() if readiness else (True, "ready")
        if ok:
            return {"status": "ready", "detail": detail}
        return JSONResponse({"status": "not_ready", "detail": detail}, status_code=503)

    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    # Starlette puts the last added middleware outermost: inner ones first, observability last
    # so it also times, counts and logs what the inner ones answer.
    for cls, kwargs in inner_middleware or ():
        app.add_middleware(cls, **kwargs)
    observability = {
        "metrics": app.state.metrics,
        "access_log": access_log,
        "max_body_bytes": max_body_bytes,
        "fast_routes": fast_routes,
    }
    app.add_middleware(ObservabilityMiddleware, **observability)
    if fast_routes:
        # Only ever answers fast routes itself (a fast route or its 413), never calls on.
        app.front = ObservabilityMiddleware(_never_called, **observability)
    return app


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the front observability layer answers fast routes itself")
