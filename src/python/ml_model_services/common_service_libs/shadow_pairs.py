"""One shadow pair's bookkeeping: the ``mlops_shadow_*`` metrics and its shadow-log line.

:class:`~.shadow_scoring.ShadowScorer` decides what is scored and when; this module records
what came of it. Each handled pair is counted into the metrics (per champion/challenger
version pair, children bound once per pair of versions) and encoded as one JSON line of the
:class:`~mlops_common.shadow_log.ShadowRecord` fields; the lines wait per UTC day for the
worker's next :meth:`ShadowPairRecorder.write`, one append per day file.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from ml_model_services.common_service_libs.onnx_session import LoadedModel
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics
from mlops_common.shadow_log import SCHEMA_VERSION, ShadowLogWriter

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ShadowItem:
    """What the request path hands over: the champion's side of one pair."""

    decided_at: str  # ISO 8601 UTC, the response's decision_time
    entity_id: Any
    event_id: Any
    row: dict[str, Any]  # the feature vector the champion scored
    facts: dict[str, Any]  # what the champion's rules read (row, request fields, context)
    champion_version: str
    champion_score: float
    champion_label: str
    challenger: LoadedModel
    decided_by: str = "champion"
    challenger_score: float | None = None  # set for canary rows (scored in line)
    challenger_label: str | None = None
    error: str | None = None
    encoded: Any = None  # the champion's encoded row (lean contract), reused when the
    encoder: Any = None  # challenger's FeatureEncoder equals this one (the champion's)


class ShadowPairRecorder:
    """Counts handled pairs into the metrics and ``stats``, and buffers their log lines."""

    def __init__(
        self,
        metrics: ServiceMetrics,
        model: str,
        writer: ShadowLogWriter | None,
        stats: dict[str, int],
    ) -> None:
        self.metrics, self.model, self.writer, self.stats = metrics, model, writer, stats
        self._lines: dict[str, list[bytes]] = {}  # encoded pairs waiting for the next write
        self._ids = itertools.count(1)
        self._id_prefix = uuid.uuid4().hex[:12]  # request ids: unique per process, no syscall
        self._children: dict[tuple[str, str], tuple[Any, ...]] = {}

    def record(self, batch: list[ShadowItem]) -> None:
        """Count every pair of ``batch`` and (with a log) buffer its line."""
        lines = self._lines
        for item in batch:
            self._count(item)
            if self.writer is not None:
                day, line = self._encode(item)
                lines.setdefault(day, []).append(line)

    def _pair_children(self, champion_version: str, challenger_version: str) -> tuple[Any, ...]:
        key = (champion_version, challenger_version)
        found = self._children.get(key)
        if found is None:
            m, service, model = self.metrics, self.metrics.service, self.model
            pair = (service, model, champion_version, challenger_version)
            found = self._children[key] = (
                m.shadow_predictions.child(*pair),
                m.shadow_errors.child(*pair),  # exported from 0 on, so a rate() has series
                m.shadow_score.child(service, model, champion_version, "champion"),
                m.shadow_score.child(service, model, challenger_version, "challenger"),
            )
        return found

    def _count(self, item: ShadowItem) -> None:
        challenger_version = item.challenger.ref.version
        predictions, errors, champion_score, challenger_score = self._pair_children(
            item.champion_version, challenger_version
        )
        if item.challenger_score is None:
            errors.value += 1
            self.stats["errors"] += 1
            return
        predictions.value += 1
        self.stats["scored"] += 1
        champion_score.observe(item.champion_score)
        challenger_score.observe(item.challenger_score)
        if item.challenger_label != item.champion_label:
            m = self.metrics
            m.shadow_changes.child(
                m.service, self.model, item.champion_version, challenger_version,
                item.champion_label, str(item.challenger_label),
            ).value += 1  # fmt: skip

    def _encode(self, item: ShadowItem) -> tuple[str, bytes]:
        """``(UTC day, JSON line)`` of the :class:`~mlops_common.shadow_log.ShadowRecord`
        fields, written with orjson: ``dataclasses.asdict`` + ``json.dumps`` cost 20 of the
        worker's 39 us per pair (cProfile, 2026-12-02); the reader still validates every
        line into a ``ShadowRecord``. ``ts`` is the response's own ``decision_time`` string."""
        ts = item.decided_at
        record = {
            "ts": ts,
            "request_id": f"{self._id_prefix}-{next(self._ids)}",
            "entity_id": item.entity_id,
            "event_id": item.event_id,
            "champion_version": item.champion_version,
            "challenger_version": item.challenger.ref.version,
            "champion_score": item.champion_score,
            "challenger_score": item.challenger_score,
            "champion_label": item.champion_label,
            "challenger_label": item.challenger_label,
            "decided_by": item.decided_by,
            "service": self.metrics.service,
            "error": item.error,
            "schema": SCHEMA_VERSION,
        }
        return ts[:10], orjson.dumps(record)

    def write(self) -> None:
        """Append the buffered lines to the shadow log in one write (a failed write is logged)."""
        lines = self._lines
        if self.writer is None or not lines:
            return
        self._lines = {}
        try:
            self.stats["logged"] += self.writer.append_lines(lines)
        except OSError as exc:
            lost = sum(len(v) for v in lines.values())
            log.warning("shadow log not written (%s): %d pairs lost", exc, lost)
