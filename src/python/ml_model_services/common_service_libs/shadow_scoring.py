"""Shadow scoring and canary decisions: the challenger next to the champion (issue 19).

The challenger is the registry alias ``challenger`` (``MLOPS_SERVICE_CHALLENGER_ALIAS``) when
its version is tagged ``shadow_state=shadow`` (what training leaves under
``TRAINING_PROMOTION_POLICY=shadow``); :class:`ChallengerSlot` keeps it loaded next to the
champion with the same ONNX contract checks, and unloads it when the alias moves away or the
tag changes (promoted, rejected).

**Shadow** (``MLOPS_SERVICE_SHADOW_SHARE``, 0 to 1 of requests): the request path only appends
what the champion already computed (feature row, context, score, label) to a bounded queue;
:class:`ShadowScorer`'s worker thread wakes every ``interval_s``, scores the queued rows with
the challenger in batches on the *same* feature vectors, runs the same Label Engine rules,
counts the ``mlops_shadow_*`` metrics and appends the pairs to the shadow log
(:mod:`mlops_common.shadow_log`). The response never waits for it and none of the
challenger's errors reaches a client: a failing challenger becomes ``error`` records and
``mlops_shadow_errors_total``. A full queue drops samples (counted in ``stats``), never
requests. Work is done in chunks of ``chunk`` rows with a GIL release between them, so the
event loop never waits behind a whole batch.

**Canary** (``MLOPS_SERVICE_CANARY_SHARE``): a sticky share of entities (CRC-32 of the entity
id, the same on every replica and restart) gets the challenger's decision, scored in line;
the response says ``decided_by``. If the challenger fails, the champion decides.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ml_model_services.common_service_libs.challenger import ChallengerSlot, loaded_version
from ml_model_services.common_service_libs.model_handler import ModelHandler
from ml_model_services.common_service_libs.onnx_session import LoadedModel
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics
from mlops_common.label_engine import RuleSet
from mlops_common.shadow_log import ShadowLogWriter, ShadowRecord

log = logging.getLogger(__name__)
CANARY_BUCKETS = 10_000


def canary_bucket(entity_id: Any) -> float:
    """Where an entity falls in [0, 1): the same on every replica, restart and release
    (CRC-32 of its id), so a canary share of 0.1 always means the same card holders."""
    return (zlib.crc32(str(entity_id).encode()) % CANARY_BUCKETS) / CANARY_BUCKETS


@dataclass(slots=True)
class ShadowItem:
    """What the request path hands over: the champion's side of one pair."""

    at: float
    entity_id: Any
    event_id: Any
    row: dict[str, Any]
    fields: Mapping[str, Any]
    context: dict[str, Any]
    champion_version: str
    champion_score: float
    champion_label: str
    challenger: LoadedModel
    decided_by: str = "champion"
    challenger_score: float | None = None  # set for canary rows (scored in line)
    challenger_label: str | None = None
    error: str | None = None


class ShadowScorer:
    """Sampling, canary routing and the background worker of one service's challenger."""

    def __init__(
        self,
        slot: ChallengerSlot,
        champion: ModelHandler,
        rules: RuleSet,
        metrics: ServiceMetrics,
        writer: ShadowLogWriter | None,
        *,
        model: str,
        share: float,
        canary_share: float,
        queue_max: int = 10_000,
        chunk: int = 32,
        interval_s: float = 0.05,
    ) -> None:
        self.slot, self.champion, self.rules, self.metrics = slot, champion, rules, metrics
        self.writer, self.model = writer, model
        self.share, self.canary_share = share, canary_share
        self._canary_limit = int(round(canary_share * CANARY_BUCKETS))
        self._queue: deque[ShadowItem] = deque()
        self.queue_max, self.chunk, self.interval_s = queue_max, chunk, interval_s
        self.stats = {"queued": 0, "dropped": 0, "scored": 0, "errors": 0, "logged": 0}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- request path (event loop) -----------------------------------------------------
    def challenger(self) -> LoadedModel | None:
        """The loaded challenger, unless it is the champion's own version (just promoted)."""
        model, champion = self.slot.current, self.champion.current
        if model is None or champion is None or model.ref.version == champion.ref.version:
            return None
        return model

    def is_canary(self, entity_id: Any) -> bool:
        if not self._canary_limit:
            return False
        return zlib.crc32(str(entity_id).encode()) % CANARY_BUCKETS < self._canary_limit

    def sampled(self) -> bool:
        return self.share >= 1.0 or (self.share > 0.0 and random.random() < self.share)

    def submit(self, item: ShadowItem) -> None:
        if len(self._queue) >= self.queue_max:
            self.stats["dropped"] += 1
            return
        self._queue.append(item)
        self.stats["queued"] += 1

    # --- worker thread ----------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="shadow-scorer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.drain()  # what was queued before shutdown still reaches the log

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.drain()
            except Exception:  # - the worker must outlive any one bad batch
                log.exception("shadow worker: batch failed; continuing")

    def drain(self) -> int:
        """Score and log everything queued now; returns how many pairs were handled."""
        queue, done = self._queue, 0
        while queue:
            batch = [queue.popleft() for _ in range(min(self.chunk, len(queue)))]
            self._handle(batch)
            done += len(batch)
            time.sleep(0)  # let the event loop run between chunks
        return done

    def _handle(self, batch: list[ShadowItem]) -> None:
        pending = [i for i in batch if i.challenger_score is None and i.error is None]
        by_model: dict[int, list[ShadowItem]] = {}
        for item in pending:
            by_model.setdefault(id(item.challenger), []).append(item)
        for items in by_model.values():
            try:
                scores = items[0].challenger.predict([i.row for i in items])
            except Exception as exc:  # - ORT's own exception types; never reaches a client
                for item in items:
                    item.error = f"{type(exc).__name__}: {exc}"[:300]
                continue
            for item, score in zip(items, scores, strict=True):
                decision = self.rules.decide(
                    {**item.row, **item.fields, **item.context, "score": score}
                )
                item.challenger_score, item.challenger_label = score, decision.label
        self._count(batch)
        self._log(batch)

    def _count(self, batch: list[ShadowItem]) -> None:
        m, service, model = self.metrics, self.metrics.service, self.model
        for item in batch:
            pair = (service, model, item.champion_version, item.challenger.ref.version)
            if item.challenger_score is None:
                m.shadow_errors.child(*pair).inc()
                self.stats["errors"] += 1
                continue
            m.shadow_predictions.child(*pair).inc()
            self.stats["scored"] += 1
            m.shadow_score.child(service, model, item.champion_version, "champion").observe(
                item.champion_score
            )
            m.shadow_score.child(service, model, item.challenger.ref.version, "challenger").observe(
                item.challenger_score
            )
            if item.challenger_label != item.champion_label:
                m.shadow_changes.child(*pair, item.champion_label, str(item.challenger_label)).inc()

    def _log(self, batch: list[ShadowItem]) -> None:
        if self.writer is None:
            return
        records = [
            ShadowRecord(
                ts=datetime.fromtimestamp(item.at, UTC).isoformat(),
                request_id=uuid.uuid4().hex,
                entity_id=item.entity_id,
                event_id=item.event_id,
                champion_version=item.champion_version,
                challenger_version=item.challenger.ref.version,
                champion_score=item.champion_score,
                challenger_score=item.challenger_score,
                champion_label=item.champion_label,
                challenger_label=item.challenger_label,
                decided_by=item.decided_by,  # type: ignore[arg-type]
                service=self.metrics.service,
                error=item.error,
            )
            for item in batch
        ]
        try:
            self.stats["logged"] += self.writer.append_many(records)
        except OSError as exc:
            log.warning("shadow log not written (%s): %d pairs lost", exc, len(records))

    def status(self) -> dict[str, Any]:
        model = self.slot.current
        return {
            "challenger_version": loaded_version(model),
            "active": self.challenger() is not None,
            "share": self.share,
            "canary_share": self.canary_share,
            "last_error": self.slot.handler.last_error,
            **self.stats,
            "backlog": len(self._queue),
        }
