"""Builds a complete model API from a :class:`ServiceDefinition` (fraud, churn, ...).

Every model API gets the same shape: ``POST <prefix>/score`` and ``<prefix>/score/batch``
(API key, :mod:`.score_routes`), ``GET <prefix>/model`` (API key), ``POST /admin/reload`` (API
key), and the open ``/health/live``, ``/health/ready``, ``/metrics``, ``/docs``,
``/openapi.json``.

No ``from __future__ import annotations`` here: FastAPI reads the request-model annotations of
the endpoint functions defined inside :func:`build_app` at run time.
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool

from ml_model_services.common_service_libs.access_log import AccessLog
from ml_model_services.common_service_libs.app_factory import create_service_app
from ml_model_services.common_service_libs.auth import ApiKeyAuth
from ml_model_services.common_service_libs.challenger import (
    challenger_slot,
    handler_from_settings,
)
from ml_model_services.common_service_libs.decision_sample import DecisionSample, decision_routes
from ml_model_services.common_service_libs.definition import ServiceDefinition, load_rule_set
from ml_model_services.common_service_libs.error_handlers import ServiceError
from ml_model_services.common_service_libs.error_responses import error_responses
from ml_model_services.common_service_libs.model_handler import ModelHandler
from ml_model_services.common_service_libs.model_ref import ModelSourceError
from ml_model_services.common_service_libs.online_features import make_reader
from ml_model_services.common_service_libs.score_routes import ScoreEndpoints
from ml_model_services.common_service_libs.service_layer import ModelServiceLayer
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics
from ml_model_services.common_service_libs.settings import ServiceSettings
from ml_model_services.common_service_libs.shadow_routes import shadow_log_routes
from ml_model_services.common_service_libs.shadow_scoring import ShadowScorer
from mlops_common.shadow_log import ShadowLogWriter

log = logging.getLogger(__name__)
__all__ = ["ServiceDefinition", "build_app", "load_rule_set"]


def build_app(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    access_log: AccessLog | None = None,
    on_ready: Callable[[FastAPI], None] | None = None,
) -> FastAPI:
    contract = definition.contract
    metrics = ServiceMetrics(settings.name)
    model_name = settings.registered_model_name or contract.registered_model_name
    auth = ApiKeyAuth(settings.accepted_api_keys(), disabled=settings.auth_disabled)
    rules = load_rule_set(settings, contract.use_case)
    handler = handler_from_settings(settings, contract, model_name, settings.model_alias, metrics)
    shadow = _shadow_scorer(settings, definition, handler, rules, metrics, model_name)
    decisions = DecisionSample(settings.decision_sample_size)
    store = settings.resolved_online_store
    reader = make_reader(
        contract,
        store,
        settings.feast_project,
        redis_url=settings.resolved_redis_url if store == "redis" else None,
        sqlite_path=settings.resolved_sqlite_path if store == "sqlite" else None,
        timeout_s=settings.feature_timeout_ms / 1000,
    )
    layer = ModelServiceLayer(
        contract,
        handler,
        reader,
        rules,
        metrics,
        derive=definition.derive,
        retry_after_s=settings.feature_retry_after_s,
        decisions=decisions,
        shadow=shadow,
    )

    def readiness() -> tuple[bool, Any]:
        model = handler.current
        detail = {
            "model_version": model.ref.version if model else None,
            "model_source": model.ref.source if model else None,
            **layer.status(),
        }
        if shadow is not None:
            detail["challenger_version"] = shadow.status()["challenger_version"]
        if model is None:
            detail["error"] = handler.last_error
        return model is not None, detail

    async def poll_registry() -> None:
        while True:
            interval = settings.reload_poll_seconds or 10.0
            await asyncio.sleep(interval)
            if handler.current is not None and not settings.reload_poll_seconds:
                continue  # polling off: only retry while no model is loaded
            with contextlib.suppress(ModelSourceError):
                await run_in_threadpool(handler.reload)
            if shadow is not None and settings.reload_poll_seconds:
                await run_in_threadpool(shadow.slot.refresh)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(handler.load_initial)
        if shadow is not None:
            await run_in_threadpool(shadow.slot.refresh)
            shadow.start()
        task = asyncio.create_task(poll_registry())
        if on_ready is not None:
            on_ready(app)
        # What start-up built (app, model, ORT, libraries) lives as long as the process: out
        # of the collector's sight, a full collection no longer walks it (3% of the CPU of a
        # prediction under load went to gc_collect_main, py-spy 2026-12-02).
        gc.freeze()
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if shadow is not None:
                await shadow.stop()
            await reader.close()

    endpoints = ScoreEndpoints(definition, settings, layer, rules, auth)
    app = create_service_app(
        settings.name,
        version=definition.version,
        readiness=readiness,
        access_log=access_log or AccessLog(settings.name, enabled=settings.log_requests),
        max_body_bytes=settings.max_body_bytes,
        metrics=metrics,
        description=definition.description,
        lifespan=lifespan,
        fast_routes=[endpoints.fast_path],
        telemetry=(
            None
            if settings.otel_enabled
            else {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
        ),
    )
    app.state.handler = handler
    app.state.layer = layer
    app.state.settings = settings
    secured = [Depends(auth)]
    endpoints.install(app, secured)

    app.include_router(decision_routes(decisions, secured))
    app.include_router(
        shadow_log_routes(settings.platform.resolved_shadow_root(), model_name, secured)
    )

    @app.get(
        f"{definition.prefix}/model",
        dependencies=secured,
        tags=["model"],
        summary="Model info",
        responses=error_responses(401),
    )
    async def model_info() -> dict[str, Any]:
        model = handler.current
        return {
            "model": model.info() if model else None,
            "registered_model_name": model_name,
            "alias": settings.model_alias,
            "model_source": handler.source_kind,
            "last_error": handler.last_error,
            "rules": {"name": rules.name, "version": rules.version},
            "features": {
                "contract": contract.feature_names,
                "stored": [f.reference for f in contract.stored_features],
                "defaults": contract.defaults(),
                "feast_project": settings.feast_project,
                **layer.status(),
            },
            "coalescing": endpoints.coalescer.status(),
            "shadow": shadow.status() if shadow is not None else None,
        }

    @app.post(
        "/admin/reload",
        dependencies=secured,
        tags=["admin"],
        summary="Load the alias' current version",
        responses=error_responses(401, 503),
    )
    async def reload_model() -> dict[str, Any]:
        try:
            outcome = await run_in_threadpool(handler.reload)
        except ModelSourceError as exc:
            raise ServiceError(503, "registry_unavailable", str(exc)) from exc
        model, previous = outcome["model"], outcome["previous"]
        return {
            "changed": outcome["changed"],
            "model_version": model.ref.version,
            "previous_version": previous.ref.version if previous else None,
            "source": model.ref.source,
            # the challenger follows its alias on every reload (None: shadow/canary off)
            "challenger": None if shadow is None else await run_in_threadpool(shadow.slot.refresh),
        }

    return app


def _shadow_scorer(
    settings: ServiceSettings,
    definition: ServiceDefinition,
    champion: ModelHandler,
    rules: Any,
    metrics: ServiceMetrics,
    model_name: str,
) -> ShadowScorer | None:
    """The challenger's slot and worker when shadow or canary is on (``shadow_scoring.py``)."""
    if not settings.challenger_enabled:
        return None
    return ShadowScorer(
        challenger_slot(settings, definition.contract, model_name, metrics),
        champion,
        rules,
        metrics,
        ShadowLogWriter(settings.platform.resolved_shadow_root(), model_name),
        model=model_name,
        share=settings.shadow_share,
        canary_share=settings.canary_share,
        queue_max=settings.shadow_queue_max,
    )
