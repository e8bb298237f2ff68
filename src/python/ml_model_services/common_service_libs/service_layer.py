"""Model Service Layer + Label Engine Layer shared by the model APIs.

request fields → online features for the entity (:mod:`online_features`) → request-time
(on-demand) features → ONNX Runtime (:mod:`onnx_session`) → probability → Label Engine
(rules as YAML data) → response with the features used, probability, label and fired rules.

**Degraded mode.** When the online store is down (or its circuit is open after a failure) or
the entity/one of its features is missing, the contract's documented default
(:attr:`mlops_common.contracts.features.FeatureSpec.default`) is used instead, the response
says ``degraded: true`` and lists ``missing_features``, and the metrics
``mlops_predictions_degraded_total`` and ``mlops_feature_fetch_fallbacks_total{reason}``
count it. A prediction is never refused because features are missing; instead the rules see
``degraded``, ``missing_features``, ``missing_count`` and ``entity_known``
(:mod:`mlops_common.label_engine.context`) and fail safe on them (the fraud rules review an
unknown card holder's or a degraded read's large payment).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ml_model_services.common_service_libs.decision_sample import DecisionSample
from ml_model_services.common_service_libs.error_handlers import ServiceError
from ml_model_services.common_service_libs.model_handler import ModelHandler
from ml_model_services.common_service_libs.online_reader import (
    FeatureStoreUnavailable,
    OnlineFeatureReader,
)
from ml_model_services.common_service_libs.onnx_session import LoadedModel
from ml_model_services.common_service_libs.service_metrics import Count, ServiceMetrics
from ml_model_services.common_service_libs.shadow_scoring import ShadowItem, ShadowScorer
from mlops_common.contracts.features import ModelContract
from mlops_common.label_engine import RuleSet
from mlops_common.label_engine.context import ContextReader

# (request fields, stored features as read, None = missing) -> request-time features
DeriveFn = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]
DECISION_TIME_FIELD = "event_timestamp"


def decision_times(requests: Sequence[Mapping[str, Any]]) -> list[float]:
    """When each request is decided: its ``event_timestamp`` if sent, else now (epoch s).

    Window features cover ``[t - w, t)`` of this time, so a payment replayed or checked later
    (skew checks, backtests) sees the history it had when it happened.
    """
    now = time.time()
    return [
        stamp.timestamp() if (stamp := r.get(DECISION_TIME_FIELD)) is not None else now
        for r in requests
    ]


@dataclass
class FeatureStoreState:
    ok: bool = True
    reason: str = ""
    skip_until: float = 0.0


class ModelServiceLayer:
    def __init__(
        self,
        contract: ModelContract,
        handler: ModelHandler,
        reader: OnlineFeatureReader | None,
        rules: RuleSet,
        metrics: ServiceMetrics,
        *,
        derive: DeriveFn | None = None,
        retry_after_s: float = 1.0,
        decisions: DecisionSample | None = None,
        shadow: ShadowScorer | None = None,
    ) -> None:
        self.contract = contract
        self.handler = handler
        self.reader = reader
        self.rules = rules
        self.metrics = metrics
        self.derive = derive
        self.retry_after_s = retry_after_s
        self.decisions = decisions
        self.shadow = shadow
        self._event_key = contract.event_key
        self.store_state = FeatureStoreState()
        # Per-contract constants and pre-bound metric children, computed once, not per request.
        self._stored = [f.name for f in contract.stored_features]
        self._defaults = contract.defaults()
        self._context = ContextReader(contract)  # the definition batch scoring uses too
        self._model = contract.registered_model_name
        m = metrics
        self._m_fetch = m.child(m.feature_latency, self._model)
        self._m_score = m.child(m.score, self._model)
        self._m_degraded = m.child(m.degraded, self._model)
        self._m_labels: dict[str, Count] = {}

    def _empty(self, n: int) -> list[dict[str, Any]]:
        return [dict.fromkeys(self._stored) for _ in range(n)]

    def _label_count(self, label: str) -> Count:
        found = self._m_labels.get(label)
        if found is None:
            m = self.metrics
            found = self._m_labels[label] = m.child(m.labels, self._model, label)
        return found

    # --- features -----------------------------------------------------------------------
    async def fetch(
        self, entity_ids: Sequence[int], at: Sequence[float] | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Stored features per entity (``None`` = missing) and the reason when all failed.

        ``at``: decision time per entity (epoch seconds) that window features end at.
        """
        if not self._stored:
            return self._empty(len(entity_ids)), None
        if self.reader is None:
            return self._empty(len(entity_ids)), "no_store"
        state = self.store_state
        if not state.ok and time.monotonic() < state.skip_until:
            return self._empty(len(entity_ids)), "circuit_open"
        started = time.perf_counter()
        try:
            rows = await self.reader.read(entity_ids, at)
        except FeatureStoreUnavailable as exc:
            state.ok, state.reason = False, str(exc)
            state.skip_until = time.monotonic() + self.retry_after_s
            return self._empty(len(entity_ids)), "unavailable"
        finally:
            self._m_fetch.observe(time.perf_counter() - started)
        if not state.ok:
            state.ok, state.reason = True, ""
        return rows, None

    # --- scoring ------------------------------------------------------------------------
    def current_model(self) -> LoadedModel:
        model = self.handler.current
        if model is None:
            raise ServiceError(
                503, "model_unavailable", f"no model loaded yet: {self.handler.last_error}"
            )
        return model

    async def score(
        self, entity_ids: Sequence[int], requests: Sequence[Mapping[str, Any]]
    ) -> tuple[LoadedModel, list[dict[str, Any]]]:
        """One result dict per request (same order)."""
        model = self.current_model()  # read once: a reload during this request does not affect it
        times = decision_times(requests)
        stored_rows, failure = await self.fetch(entity_ids, times)
        m = self.metrics
        read_context, stored_names, defaults = self._context, self._stored, self._defaults
        inputs: list[dict[str, Any]] = []
        contexts: list[dict[str, Any]] = []
        for fields, stored in zip(requests, stored_rows, strict=True):
            # degraded / missing / unknown entity, defined once for online and batch scoring
            context = read_context(None if failure else stored)
            missing: list[str] = context["missing_features"]
            if missing:
                row = {n: defaults[n] if n in missing else stored.get(n) for n in stored_names}
            else:
                row = {n: stored.get(n) for n in stored_names}
            for name, value in fields.items():
                if name in defaults:
                    row[name] = value
            if self.derive is not None:
                row.update(self.derive(fields, stored))
            inputs.append(row)
            contexts.append(context)
            if missing:
                reason = failure or (
                    "entity_not_found" if context["entity_known"] is False else "missing_feature"
                )
                m.child(m.feature_fallbacks, self._model, reason).inc()
        shadow = self.shadow
        challenger = shadow.challenger() if shadow is not None else None
        encoded = None  # the champion's encoded rows, which the challenger reuses
        if challenger is None:
            probabilities = model.predict(inputs)
        else:
            probabilities, encoded = model.predict_keeping_rows(inputs)
        canary = (
            self._canary_scores(challenger, entity_ids, inputs)
            if challenger is not None and shadow is not None and shadow.canary_share > 0
            else {}
        )
        results = []
        decide, decisions = self.rules.decide, self.decisions
        version = model.ref.version
        for i, (entity_id, fields, row, context, p, at) in enumerate(
            zip(entity_ids, requests, inputs, contexts, probabilities, times, strict=True)
        ):
            if decisions is not None:
                decisions.record(entity_id, at, row)
            facts = {**row, **fields, **context, "score": p}  # what the rules read
            decision = served = decide(facts)
            served_p, served_version, decided_by = p, version, "champion"
            in_canary = i in canary
            decided_at = datetime.fromtimestamp(at, UTC).isoformat()
            if shadow is not None and challenger is not None and (in_canary or shadow.sampled()):
                item = ShadowItem(
                    decided_at, entity_id, fields.get(self._event_key) if self._event_key else None,
                    row, facts, version, p, decision.label, challenger,
                )  # fmt: skip
                if encoded is not None:
                    item.encoded, item.encoder = encoded[i], model.encoder
                if in_canary:  # canary pairs are always logged
                    score, item.error = canary[i]
                    item.challenger_score = score
                    if score is not None:
                        served_p, decided_by = score, "challenger"
                        facts["score"] = served_p  # the champion's decision is already made
                        served = decide(facts)
                        item.challenger_label, item.decided_by = served.label, "challenger"
                        served_version = challenger.ref.version
                        m.child(m.canary_decisions, self._model, served_version).value += 1
                shadow.submit(item)
            self._m_score.observe(served_p)
            self._label_count(served.label).value += 1
            if context["degraded"]:
                self._m_degraded.value += 1
            results.append(
                {
                    "probability": served_p,
                    "label": served.label,
                    "fired_rules": list(served.fired),
                    "degraded": context["degraded"],
                    "missing_features": context["missing_features"],
                    "entity_known": context["entity_known"],
                    "features": row,
                    "decision_time": decided_at,
                    "model_version": served_version,
                    "decided_by": decided_by,
                }
            )
        return model, results

    def _canary_scores(
        self, challenger: LoadedModel, entity_ids: Sequence[int], inputs: list[dict[str, Any]]
    ) -> dict[int, tuple[float | None, str | None]]:
        """Row index → (challenger score, error) for the canary entities, scored in line; an
        error leaves that row to the champion (the client never sees the challenger fail)."""
        assert self.shadow is not None
        rows = [i for i, e in enumerate(entity_ids) if self.shadow.is_canary(e)]
        if not rows:
            return {}
        try:
            scores = challenger.predict([inputs[i] for i in rows])
        except Exception as exc:  # - ORT's own exception types
            error = f"{type(exc).__name__}: {exc}"[:300]
            return {i: (None, error) for i in rows}
        return {i: (s, None) for i, s in zip(rows, scores, strict=True)}

    def status(self) -> dict[str, Any]:
        state = self.store_state
        return {
            "online_store": self.reader.kind if self.reader else "none",
            "feature_store": "ok" if state.ok else "degraded",
            "feature_store_error": state.reason or None,
        }
