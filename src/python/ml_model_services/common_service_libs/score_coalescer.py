"""Dynamic batching of single predictions: requests that arrive together are scored together.

Under load, one turn of the event loop parses several requests (one per ready connection).
Each single-prediction request hands its fields to :meth:`ScoreCoalescer.score` and waits; the
first one schedules a flush with ``loop.call_soon``, which runs after every request already
queued for this turn has reached the same point. The flush makes **one**
:meth:`~.service_layer.ModelServiceLayer.score` call for all of them: one Redis pipeline
round trip, one ONNX Runtime run over N rows, one rules pass. No timer and no waiting for
more requests: a lone request is flushed on the next callback, so an idle service answers as
fast as before (the same idea as Triton's dynamic batcher or Ray Serve's ``@serve.batch``
with ``batch_wait_timeout_s=0``).

**Errors stay per request.** A failure that concerns every row (no model loaded: a
:class:`~.error_handlers.ServiceError`) is given to each request. Any other failure of a batch
of several rows re-scores the rows one by one, so only the row that fails gets its 500 and
its neighbours get their answers. A request whose client went away (its future cancelled)
is still scored with the others, and its result is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ml_model_services.common_service_libs.error_handlers import ServiceError

# (entity ids, request fields) -> (model, one result per request); ModelServiceLayer.score
ScoreFn = Callable[[Sequence[Any], Sequence[Mapping[str, Any]]], Awaitable[tuple[Any, list[Any]]]]


class ScoreCoalescer:
    """Scores the single predictions of one event-loop turn in one service-layer call."""

    def __init__(self, score: ScoreFn, entity_field: str, max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._score = score
        self._entity_field = entity_field
        self.max_batch = max_batch
        self._pending: list[tuple[dict[str, Any], asyncio.Future[Any]]] = []
        # The loop keeps only weak references to tasks: a running batch is held here.
        self._running: set[asyncio.Task[None]] = set()
        # What a batch of N held, for GET <prefix>/model and the tests.
        self.batches = 0
        self.requests = 0

    async def score(self, fields: dict[str, Any]) -> Any:
        """The service layer's result dict for this one request (``max_batch`` 1: scored
        directly, no future or task)."""
        if self.max_batch == 1:
            self.batches += 1
            self.requests += 1
            _, (result,) = await self._score([fields[self._entity_field]], [fields])
            return result
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        pending = self._pending
        if not pending:
            loop.call_soon(self._flush)
        pending.append((fields, future))
        if len(pending) >= self.max_batch:
            self._flush()
        return await future

    def _flush(self) -> None:
        batch = self._pending
        if not batch:
            return  # a full batch was taken before this call came round
        self._pending = []
        self.batches += 1
        self.requests += len(batch)
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[dict[str, Any], asyncio.Future[Any]]]) -> None:
        fields = [f for f, _ in batch]
        key = self._entity_field
        try:
            _, results = await self._score([f[key] for f in fields], fields)
        except ServiceError as exc:  # concerns every row (no model loaded)
            for _, future in batch:
                _settle(future, error=exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], error=exc)
                return
            for item in batch:  # find the row that fails; answer the others
                await self._run([item])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)

    def status(self) -> dict[str, Any]:
        mean = self.requests / self.batches if self.batches else None
        return {
            "max_batch": self.max_batch,
            "batches": self.batches,
            "mean_batch": round(mean, 2) if mean is not None else None,
        }


def _settle(
    future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None
) -> None:
    if future.done():  # cancelled: the client went away
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
