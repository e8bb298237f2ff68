"""The scoring endpoints of a model API: ``POST <prefix>/score`` and ``<prefix>/score/batch``.

``/score`` is served by a :class:`~.fast_path.FastScorePath` (answered in front of the
middleware stack) whose single predictions are batched by a :class:`~.score_coalescer.
ScoreCoalescer`; its FastAPI route stays declared so OpenAPI documents it. ``/score/batch`` is
a plain FastAPI route.

No ``from __future__ import annotations`` here: FastAPI reads the request-model annotations of
the endpoint functions defined inside :meth:`ScoreEndpoints.install` at run time.
"""

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.params import Depends
from fastapi.responses import Response

from ml_model_services.common_service_libs.auth import ApiKeyAuth
from ml_model_services.common_service_libs.definition import ServiceDefinition
from ml_model_services.common_service_libs.error_handlers import ServiceError
from ml_model_services.common_service_libs.error_responses import (
    batch_limit_description,
    batch_limit_reason,
    error_responses,
)
from ml_model_services.common_service_libs.fast_path import FastScorePath
from ml_model_services.common_service_libs.score_coalescer import ScoreCoalescer
from ml_model_services.common_service_libs.service_layer import ModelServiceLayer
from ml_model_services.common_service_libs.settings import ServiceSettings
from mlops_common.label_engine import RuleSet

JSON = "application/json"


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type=JSON)


class ScoreEndpoints:
    """One prediction's and a batch's answer, shaped alike (echoed fields, rules version)."""

    def __init__(
        self,
        definition: ServiceDefinition,
        settings: ServiceSettings,
        layer: ModelServiceLayer,
        rules: RuleSet,
        auth: ApiKeyAuth,
    ) -> None:
        self.definition = definition
        self.layer = layer
        self.rules = rules
        self.max_batch = settings.max_batch
        self.entity_field = definition.entity_field
        self.coalescer = ScoreCoalescer(layer.score, self.entity_field, settings.coalesce_max)
        self.fast_path = FastScorePath(
            path=f"{definition.prefix}/score",
            model=definition.request_model,
            auth=auth,
            handler=self.score_fields,
            max_body_bytes=settings.max_body_bytes,
        )

    def prediction(self, fields: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        out = {k: fields.get(k) for k in self.definition.echo_fields}
        out.update(result)  # model_version/decided_by: whose decision it is (canary)
        out["rules_version"] = self.rules.version
        return out

    async def score_fields(
        self, fields: dict[str, Any], log_fields: dict[str, Any]
    ) -> dict[str, Any]:
        result = await self.coalescer.score(fields)
        log_fields.update(
            model_version=result["model_version"],
            label=result["label"],
            degraded=result["degraded"],
        )
        if result["decided_by"] != "champion":
            log_fields["decided_by"] = result["decided_by"]
        return self.prediction(fields, result)

    def install(self, app: FastAPI, secured: list[Depends]) -> None:
        definition, layer, max_batch = self.definition, self.layer, self.max_batch
        use_case = definition.contract.use_case

        async def score_one(request: Request, body: definition.request_model) -> Response:  # type: ignore[name-defined]
            # Documents the endpoint; requests are served by the FastScorePath route.
            return _json(await self.score_fields(body.model_dump(), request.state.log))

        async def score_batch(request: Request, body: definition.batch_model) -> Response:  # type: ignore[name-defined]
            items = body.items
            if len(items) > max_batch:
                raise ServiceError(
                    413, "batch_too_large", batch_limit_reason(len(items), max_batch)
                )
            all_fields = [i.model_dump() for i in items]
            entity_ids = [f[self.entity_field] for f in all_fields]
            model, results = await layer.score(entity_ids, all_fields)
            version = model.ref.version
            request.state.log.update(
                model_version=version,
                batch_size=len(items),
                degraded=sum(r["degraded"] for r in results),
            )
            predictions = [self.prediction(f, r) for f, r in zip(all_fields, results, strict=True)]
            ref = model.ref
            model_info = {"name": ref.name, "version": version, "alias": ref.alias}
            return _json({"model": model_info, "predictions": predictions})

        common: dict[str, Any] = {"methods": ["POST"], "dependencies": secured, "tags": ["scoring"]}
        app.add_api_route(
            self.fast_path.path,
            score_one,
            response_model=definition.response_model,
            summary=f"Score one {use_case} request",
            responses=error_responses(401, 413, 422, 503),
            **common,
        )
        app.add_api_route(
            f"{definition.prefix}/score/batch",
            score_batch,
            response_model=definition.batch_response_model,
            summary=f"Score up to {max_batch} {use_case} requests",
            description=f"At most {max_batch} items (MLOPS_SERVICE_MAX_BATCH); more is a 413.",
            responses=error_responses(
                401, 413, 422, 503, described={413: batch_limit_description(max_batch)}
            ),
            **common,
        )
