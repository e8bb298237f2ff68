"""The skeleton every model API starts from: probes, metrics, JSON errors."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from ml_model_services.common_service_libs.error_handlers import install_error_handlers
from ml_model_services.common_service_libs.monitoring_middleware import (
    PrometheusMiddleware,
    ServiceMetrics,
    metrics_endpoint,
)


def create_service_app(
    service: str,
    *,
    version: str = "0",
    readiness: Callable[[], tuple[bool, str]] | None = None,
    **fastapi_kwargs: object,
) -> FastAPI:
    """Create a FastAPI app with ``/health/live``, ``/health/ready`` and ``/metrics``.

    ``readiness`` tells whether the service can answer predictions (model loaded...); the
    probes stay unauthenticated so orchestrators can call them.
    """
    app = FastAPI(title=service, version=version, **fastapi_kwargs)  # type: ignore[arg-type]
    app.state.metrics = ServiceMetrics(service)
    install_error_handlers(app)

    @app.get("/health/live", tags=["probes"])
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/health/ready", tags=["probes"])
    async def ready():  # - returns a Response on failure
        ok, detail = readiness() if readiness else (True, "ready")
        if ok:
            return {"status": "ready", "detail": detail}
        from fastapi.responses import JSONResponse

        return JSONResponse({"status": "not_ready", "detail": detail}, status_code=503)

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.add_middleware(PrometheusMiddleware, metrics=app.state.metrics, routed_app=app)
    return app
