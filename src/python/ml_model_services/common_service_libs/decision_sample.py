"""The last decisions a service made, kept in memory for the feature-skew check.

The skew check (Airflow DAG ``check_fraud_feature_skew``) asks a running service for its
recent decisions — card holder, decision time and the model inputs it used — and recomputes
those inputs offline from the raw data strictly before each decision time; any difference is
train/serve skew. A bounded deque: appending costs well under a microsecond on the scoring
path, memory stays fixed (``MLOPS_SERVICE_DECISION_SAMPLE_SIZE`` entries), and a restart only
empties the sample. Served over ``GET /admin/decisions`` (API key), never in the access log's
hot path.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from fastapi import APIRouter, Query
from fastapi.params import Depends

from ml_model_services.common_service_libs.error_responses import error_responses


class DecisionSample:
    def __init__(self, size: int) -> None:
        self._items: deque[tuple[int | str, float, dict[str, Any]]] = deque(maxlen=size)

    def record(self, entity_id: int | str, decided_at: float, features: dict[str, Any]) -> None:
        self._items.append((entity_id, decided_at, features))

    def sample(self, limit: int, seed: int | None = None) -> list[dict[str, Any]]:
        items = list(self._items)
        if len(items) > limit:
            items = random.Random(seed).sample(items, limit)
        return [{"entity_id": e, "decided_at": t, "features": features} for e, t, features in items]


def decision_routes(sample: DecisionSample, dependencies: list[Depends]) -> APIRouter:
    router = APIRouter(dependencies=dependencies, tags=["admin"])

    @router.get(
        "/admin/decisions",
        summary="A random sample of recent decisions (entity, time, model inputs)",
        responses=error_responses(401, 422),
    )
    async def recent_decisions(
        limit: int = Query(default=500, ge=1, le=10_000),
        seed: int | None = Query(default=None, description="repeatable sample"),
    ) -> dict[str, Any]:
        return {"decisions": sample.sample(limit, seed)}

    return router
