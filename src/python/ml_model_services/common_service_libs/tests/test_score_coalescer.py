"""Dynamic batching: concurrent single predictions share one scoring call, errors stay theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from ml_model_services.common_service_libs.error_handlers import ServiceError
from ml_model_services.common_service_libs.score_coalescer import ScoreCoalescer


class RecordingLayer:
    """Stands in for ModelServiceLayer.score: one result per row, every call recorded."""

    def __init__(self, fail_on: int | None = None, unavailable: bool = False) -> None:
        self.calls: list[list[int]] = []
        self.fail_on = fail_on
        self.unavailable = unavailable

    async def score(
        self, entity_ids: Sequence[Any], requests: Sequence[Mapping[str, Any]]
    ) -> tuple[str, list[dict[str, Any]]]:
        self.calls.append(list(entity_ids))
        await asyncio.sleep(0)  # a real read awaits Redis
        if self.unavailable:
            raise ServiceError(503, "model_unavailable", "no model loaded yet")
        if self.fail_on in entity_ids:
            raise ValueError(f"row {self.fail_on} cannot be scored")
        return "model", [
            {"entity": e, "amount": r["amount"]} for e, r in zip(entity_ids, requests, strict=True)
        ]


async def _score_all(coalescer: ScoreCoalescer, ids: list[int]) -> list[Any]:
    requests = [{"user_id": i, "amount": i * 10.0} for i in ids]
    return await asyncio.gather(*(coalescer.score(r) for r in requests), return_exceptions=True)


def test_requests_of_one_loop_turn_are_scored_in_one_call_each_getting_its_own_row() -> None:
    layer = RecordingLayer()
    coalescer = ScoreCoalescer(layer.score, "user_id", max_batch=64)
    results = asyncio.run(_score_all(coalescer, [1, 2, 3, 4, 5]))
    assert layer.calls == [[1, 2, 3, 4, 5]]
    assert results == [{"entity": i, "amount": i * 10.0} for i in [1, 2, 3, 4, 5]]
    assert coalescer.status() == {"max_batch": 64, "batches": 1, "mean_batch": 5.0}


def test_a_full_batch_is_flushed_at_once_and_the_rest_on_the_next_turn() -> None:
    layer = RecordingLayer()
    coalescer = ScoreCoalescer(layer.score, "user_id", max_batch=2)
    results = asyncio.run(_score_all(coalescer, [1, 2, 3, 4, 5]))
    assert layer.calls == [[1, 2], [3, 4], [5]]
    assert [r["entity"] for r in results] == [1, 2, 3, 4, 5]


def test_a_lone_request_is_answered_without_waiting_for_company() -> None:
    layer = RecordingLayer()
    coalescer = ScoreCoalescer(layer.score, "user_id")

    async def one() -> Any:
        return await asyncio.wait_for(coalescer.score({"user_id": 9, "amount": 1.0}), 0.5)

    assert asyncio.run(one()) == {"entity": 9, "amount": 1.0}
    assert layer.calls == [[9]]


def test_a_failing_row_gets_the_error_and_its_neighbours_their_answers() -> None:
    layer = RecordingLayer(fail_on=3)
    coalescer = ScoreCoalescer(layer.score, "user_id")
    results = asyncio.run(_score_all(coalescer, [1, 2, 3, 4]))
    assert isinstance(results[2], ValueError)
    assert [r["entity"] for i, r in enumerate(results) if i != 2] == [1, 2, 4]
    assert layer.calls == [[1, 2, 3, 4], [1], [2], [3], [4]]  # batch, then one by one


def test_no_model_is_every_request_s_503_without_retrying_row_by_row() -> None:
    layer = RecordingLayer(unavailable=True)
    coalescer = ScoreCoalescer(layer.score, "user_id")
    results = asyncio.run(_score_all(coalescer, [1, 2, 3]))
    assert all(isinstance(r, ServiceError) and r.status_code == 503 for r in results)
    assert layer.calls == [[1, 2, 3]]


def test_a_cancelled_request_does_not_break_its_batch() -> None:
    layer = RecordingLayer()
    coalescer = ScoreCoalescer(layer.score, "user_id")

    async def scenario() -> list[Any]:
        tasks = [
            asyncio.create_task(coalescer.score({"user_id": i, "amount": 1.0})) for i in (1, 2, 3)
        ]
        await asyncio.sleep(0)  # all three queued
        tasks[1].cancel()  # the client went away
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(scenario())
    assert isinstance(results[1], asyncio.CancelledError)
    assert [results[0]["entity"], results[2]["entity"]] == [1, 3]
    assert layer.calls == [[1, 2, 3]]


def test_max_batch_one_scores_each_request_on_its_own() -> None:
    layer = RecordingLayer()
    coalescer = ScoreCoalescer(layer.score, "user_id", max_batch=1)
    results = asyncio.run(_score_all(coalescer, [1, 2, 3]))
    assert layer.calls == [[1], [2], [3]]
    assert [r["entity"] for r in results] == [1, 2, 3]
    assert coalescer.status()["mean_batch"] == 1.0


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        ScoreCoalescer(RecordingLayer().score, "user_id", max_batch=0)
