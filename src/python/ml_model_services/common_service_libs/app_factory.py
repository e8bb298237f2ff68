"""The skeleton every model API starts from: probes, metrics, JSON errors, access logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp

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
    app = FastAPI(title=service, version=version, **fastapi_kwargs)
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
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=app.state.metrics,
        access_log=access_log,
        max_body_bytes=max_body_bytes,
        fast_routes=fast_routes,
    )
    return app
