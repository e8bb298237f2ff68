"""Shadow scoring and canary decisions: the challenger next to the champion (issue 19).

The challenger is the registry alias ``challenger`` (``MLOPS_SERVICE_CHALLENGER_ALIAS``) when
its version is tagged ``shadow_state=shadow`` (what training leaves under
``TRAINING_PROMOTION_POLICY=shadow``); :class:`ChallengerSlot` keeps it loaded next to the
champion with the same ONNX contract checks, and unloads it when the alias moves away or the
tag changes (promoted, rejected).

**Shadow** (``MLOPS_SERVICE_SHADOW_SHARE``, 0 to 1 of requests): the request path only appends
what the champion already computed (feature row, the rules' input, score, label) to a bounded
queue. As soon as ``chunk`` pairs are queued, a callback on the same event loop scores them
with the challenger on the *same* feature vectors (one ORT call), runs the same Label Engine
rules and counts the ``mlops_shadow_*`` metrics; a task that wakes every ``interval_s`` scores
what is left and appends the encoded pairs to the shadow log (:mod:`mlops_common.shadow_log`)
in one write. The response never waits for the challenger, and between two chunks (~1 ms)
waiting requests run. None of the challenger's errors reaches a client: a failing challenger
becomes ``error`` records and ``mlops_shadow_errors_total``. A full queue drops samples
(counted in ``stats``), never requests. What each handled pair leaves behind (metrics, its
log line) is :mod:`.shadow_pairs`.

Why a task and not a thread: with a worker thread the service spent +167 us CPU per request
and 1.8x the p99 at 100% shadow (serving benchmark, 2026-12-02) although the worker's own
work was 39 us per pair: the rest was the two threads handing the GIL back and forth. On the
loop the cost is the work itself, then cut from 39 to 18 us per pair (orjson lines, metric
children bound per version pair, request ids from a counter; cProfile and a 20,000-pair
micro-run, 2026-12-02). Why a chunk as soon as it is queued and not every 50 ms: the pairs'
dicts then die young instead of being promoted by the collector; at 100% shadow the serving
benchmark went from 1.14x CPU / 1.38x p99 of shadow off (2026-12-02 20:27) to 1.04x-1.25x CPU
and 0.95x-1.37x p99 over five runs on 2026-12-03, the spread being the machine's (the
worker's own CPU is 13-17 us a pair; ml_model_services/benchmarks/RESULTS.md has every run).

**Canary** (``MLOPS_SERVICE_CANARY_SHARE``): a sticky share of entities (CRC-32 of the entity
id, the same on every replica and restart) gets the challenger's decision, scored in line;
the response says ``decided_by``. If the challenger fails, the champion decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import zlib
from collections import deque
from typing import Any

import numpy as np

from ml_model_services.common_service_libs.challenger import ChallengerSlot, loaded_version
from ml_model_services.common_service_libs.model_handler import ModelHandler
from ml_model_services.common_service_libs.onnx_session import LoadedModel
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics
from ml_model_services.common_service_libs.shadow_pairs import ShadowItem, ShadowPairRecorder
from mlops_common.label_engine import RuleSet
from mlops_common.shadow_log import ShadowLogWriter

__all__ = ["CANARY_BUCKETS", "ShadowItem", "ShadowScorer", "canary_bucket"]
log = logging.getLogger(__name__)
CANARY_BUCKETS = 10_000


def canary_bucket(entity_id: Any) -> float:
    """Where an entity falls in [0, 1): the same on every replica, restart and release
    (CRC-32 of its id), so a canary share of 0.1 always means the same card holders."""
    return (zlib.crc32(str(entity_id).encode()) % CANARY_BUCKETS) / CANARY_BUCKETS


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
        chunk: int = 64,  # 16.1 us CPU a pair under load, 20.5 with 16 (worker_cpu, 12-03)
        interval_s: float = 0.05,
    ) -> None:
        self.slot, self.champion, self.rules, self.metrics = slot, champion, rules, metrics
        self.share, self.canary_share = share, canary_share
        self._canary_limit = int(round(canary_share * CANARY_BUCKETS))
        self._queue: deque[ShadowItem] = deque()
        self.queue_max, self.chunk, self.interval_s = queue_max, chunk, interval_s
        self.stats = {"queued": 0, "dropped": 0, "scored": 0, "errors": 0, "logged": 0}
        self.cpu_s = 0.0  # the worker's own CPU (scoring, rules, metrics, encoding; no writes)
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._chunk_due = False  # a chunk is scheduled with call_soon
        self.recorder = ShadowPairRecorder(metrics, model, writer, self.stats)

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
        if len(self._queue) >= self.chunk and not self._chunk_due and self._loop is not None:
            self._chunk_due = True
            self._loop.call_soon(self._score_chunk)

    # --- worker: callbacks and a task on the service's event loop ---------------------------
    def start(self) -> None:
        """Start the worker on the running loop (call from the app's lifespan)."""
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="shadow-scorer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._loop = None
        self.drain()  # what was queued before shutdown still reaches the log

    def _score_chunk(self) -> None:
        """One full chunk, scheduled by :meth:`submit` when one is queued: pairs are scored
        while their dicts are young (they die in the collector's first generation instead of
        being promoted), and other callbacks - requests - run between two chunks."""
        self._chunk_due = False
        try:
            self._handle(self._take())
        except Exception:  # - the worker must outlive any one bad batch
            log.exception("shadow worker: batch failed; continuing")
        if len(self._queue) >= self.chunk and self._loop is not None:
            self._chunk_due = True
            self._loop.call_soon(self._score_chunk)

    async def _run(self) -> None:
        """Every ``interval_s``: score what is left (less than a chunk) and write the log."""
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                while self._queue:
                    self._handle(self._take())
                    await asyncio.sleep(0)  # requests waiting run between chunks
            except Exception:  # - the worker must outlive any one bad batch
                log.exception("shadow worker: batch failed; continuing")
            finally:  # also when cancelled at shutdown: pairs already scored are kept
                self.recorder.write()

    def drain(self) -> int:
        """Score and log everything queued now; returns how many pairs were handled."""
        done = 0
        while self._queue:
            batch = self._take()
            self._handle(batch)
            done += len(batch)
        self.recorder.write()
        return done

    def _take(self) -> list[ShadowItem]:
        queue = self._queue
        return [queue.popleft() for _ in range(min(self.chunk, len(queue)))]

    def _handle(self, batch: list[ShadowItem]) -> None:
        started = time.thread_time()
        try:
            self._score(batch)
        finally:
            self.cpu_s += time.thread_time() - started

    def _score(self, batch: list[ShadowItem]) -> None:
        pending = [i for i in batch if i.challenger_score is None and i.error is None]
        by_model: dict[int, list[ShadowItem]] = {}
        for item in pending:
            by_model.setdefault(id(item.challenger), []).append(item)
        decide = self.rules.decide
        for items in by_model.values():
            try:
                scores = self._predict(items[0].challenger, items)
            except Exception as exc:  # - ORT's own exception types; never reaches a client
                for item in items:
                    item.error = f"{type(exc).__name__}: {exc}"[:300]
                continue
            for item, score in zip(items, scores, strict=True):
                facts = item.facts  # the request's own dict, done with: no copy
                facts["score"] = score
                item.challenger_score, item.challenger_label = score, decide(facts).label
        self.recorder.record(batch)

    def _predict(self, challenger: LoadedModel, items: list[ShadowItem]) -> list[float]:
        """The challenger's scores, on the champion's encoded rows when the two graphs encode
        alike (same contract and vocabulary), else encoding the feature rows itself."""
        encoder = items[0].encoder
        if (
            encoder is not None
            and all(i.encoder is encoder for i in items)
            and encoder == challenger.encoder  # a few small dicts, once a chunk
        ):
            return challenger.predict_encoded(np.stack([i.encoded for i in items]))
        return challenger.predict([i.row for i in items])

    def status(self) -> dict[str, Any]:
        model = self.slot.current
        handled = self.stats["scored"] + self.stats["errors"]
        return {
            "challenger_version": loaded_version(model),
            "active": self.challenger() is not None,
            "share": self.share,
            "canary_share": self.canary_share,
            "last_error": self.slot.handler.last_error,
            **self.stats,
            "backlog": len(self._queue),
            "worker_cpu_us_per_pair": round(self.cpu_s / handled * 1e6, 1) if handled else None,
        }
