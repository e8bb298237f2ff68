"""The shadow worker's contract without a server: a failing challenger never raises and is
logged as errors, a full queue drops samples not requests, a just-promoted challenger is no
challenger, canary routing is sticky. The real service, Redis and MLflow are in
``ml_model_services/tests/test_shadow_canary.py``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ml_model_services.common_service_libs.challenger import ChallengerSlot, shadow_only
from ml_model_services.common_service_libs.model_ref import ModelRef
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics
from ml_model_services.common_service_libs.shadow_scoring import (
    ShadowItem,
    ShadowScorer,
    canary_bucket,
)
from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.onnx_signature import FeatureEncoder
from mlops_common.label_engine import load_bundled_rules
from mlops_common.shadow_log import ShadowLogWriter, read_shadow_log

NAME = FRAUD.registered_model_name


@dataclass
class StubModel:
    """What the worker uses of a LoadedModel: its ref and ``predict``."""

    version: str
    fail: bool = False
    score: float = 0.99
    encoder: Any = None
    encoded_calls: int = 0

    @property
    def ref(self) -> ModelRef:
        return ModelRef(NAME, self.version, "run", "challenger", "registry")

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        if self.fail:
            raise RuntimeError("challenger graph broke")
        return [self.score for _ in rows]

    def predict_keeping_rows(self, rows: list[dict[str, Any]]) -> tuple[list[float], None]:
        return self.predict(rows), None

    def predict_encoded(self, matrix: Any) -> list[float]:
        self.encoded_calls += 1
        return [self.score for _ in matrix]


@dataclass
class StubHandler:
    current: Any
    last_error: str | None = None


def _scorer(
    tmp_path: Path,
    challenger: StubModel,
    champion: StubModel | None = None,
    metrics: ServiceMetrics | None = None,
    **kwargs: Any,
) -> ShadowScorer:
    slot = ChallengerSlot(StubHandler(challenger))  # type: ignore[arg-type]
    return ShadowScorer(
        slot,
        StubHandler(champion or StubModel("1")),  # type: ignore[arg-type]
        load_bundled_rules(FRAUD.use_case),
        metrics or ServiceMetrics("test"),
        ShadowLogWriter(tmp_path, NAME),
        model=NAME,
        **{"share": 1.0, "canary_share": 0.0, **kwargs},
    )


def _item(challenger: StubModel, i: int) -> ShadowItem:
    row = {**FRAUD.defaults(), "amount": 20.0}
    context = {"degraded": False, "missing_features": [], "missing_count": 0, "entity_known": True}
    at = datetime(2026, 12, 2, 12, tzinfo=UTC).isoformat()
    facts = {**row, **context, "score": 0.01}
    return ShadowItem(at, i, f"t-{i}", row, facts, "1", 0.01, "approve", challenger)  # type: ignore[arg-type]


def _count(metrics: ServiceMetrics, family: str) -> int:
    return sum(c.value for c in getattr(metrics, family).children.values())


def test_pairs_are_scored_in_chunks_and_logged(tmp_path: Path) -> None:
    challenger = StubModel("2")
    scorer = _scorer(tmp_path, challenger, chunk=4)
    for i in range(10):
        scorer.submit(_item(challenger, i))
    assert scorer.drain() == 10
    records = list(read_shadow_log(tmp_path, NAME, date(2026, 12, 2), date(2026, 12, 2)))
    assert [r.event_id for r in records] == [f"t-{i}" for i in range(10)]
    assert {r.challenger_score for r in records} == {0.99}
    changed = sum(r.champion_label != r.challenger_label for r in records)
    assert changed == 10, "a 0.99 score must not be approved like the champion's 0.01"
    assert _count(scorer.metrics, "shadow_predictions") == 10
    assert _count(scorer.metrics, "shadow_changes") == changed
    assert scorer.stats["logged"] == 10
    status = scorer.status()
    assert status["backlog"] == 0 and status["worker_cpu_us_per_pair"] > 0


def test_the_running_worker_scores_full_chunks_at_once_and_the_rest_on_its_tick(
    tmp_path: Path,
) -> None:
    challenger = StubModel("2")
    scorer = _scorer(tmp_path, challenger, chunk=4, interval_s=0.2)

    async def scenario() -> tuple[int, int, int, int]:
        scorer.start()
        for i in range(9):
            scorer.submit(_item(challenger, i))
        await asyncio.sleep(0.01)  # a few loop turns, well before the first tick
        full_chunks, logged_early = scorer.stats["scored"], scorer.stats["logged"]
        await asyncio.sleep(0.3)  # one tick: the leftover pair, then one write
        after_tick, logged = scorer.stats["scored"], scorer.stats["logged"]
        await scorer.stop()
        return full_chunks, logged_early, after_tick, logged

    full_chunks, logged_early, after_tick, logged = asyncio.run(scenario())
    assert (full_chunks, logged_early) == (8, 0), "two full chunks at once, written on the tick"
    assert (after_tick, logged) == (9, 9)
    assert len(list(read_shadow_log(tmp_path, NAME, date(2026, 12, 2), date(2026, 12, 2)))) == 9


def test_the_champions_encoded_rows_are_reused_only_for_an_equal_encoder(
    tmp_path: Path,
) -> None:
    vocabulary = {name: {"a": 0} for name in FRAUD.categorical}
    champion_encoder = FeatureEncoder(FRAUD, vocabulary)
    for challenger_encoder, reused in (
        (FeatureEncoder(FRAUD, dict(vocabulary)), True),  # equal, another object
        (FeatureEncoder(FRAUD, {name: {"b": 0} for name in FRAUD.categorical}), False),
    ):
        challenger = StubModel("2", encoder=challenger_encoder)
        scorer = _scorer(tmp_path, challenger)
        for i in range(3):
            item = _item(challenger, i)
            item.encoded = np.zeros(champion_encoder.width, dtype=np.float32)
            item.encoder = champion_encoder
            scorer.submit(item)
        assert scorer.drain() == 3 and scorer.stats["scored"] == 3
        assert challenger.encoded_calls == (1 if reused else 0)


def test_a_failing_challenger_becomes_error_records_not_an_exception(tmp_path: Path) -> None:
    challenger = StubModel("2", fail=True)
    scorer = _scorer(tmp_path, challenger)
    for i in range(3):
        scorer.submit(_item(challenger, i))
    assert scorer.drain() == 3
    records = list(read_shadow_log(tmp_path, NAME, date(2026, 12, 2), date(2026, 12, 2)))
    assert len(records) == 3
    assert all(r.challenger_score is None and "graph broke" in str(r.error) for r in records)
    assert _count(scorer.metrics, "shadow_errors") == 3
    assert _count(scorer.metrics, "shadow_predictions") == 0


def test_a_full_queue_drops_samples(tmp_path: Path) -> None:
    challenger = StubModel("2")
    scorer = _scorer(tmp_path, challenger, queue_max=5)
    for i in range(8):
        scorer.submit(_item(challenger, i))
    assert scorer.stats["dropped"] == 3 and scorer.drain() == 5


def test_the_champions_own_version_is_no_challenger(tmp_path: Path) -> None:
    assert _scorer(tmp_path, StubModel("2")).challenger() is not None
    assert _scorer(tmp_path, StubModel("1")).challenger() is None


@pytest.mark.parametrize("share", [0.0, 0.1, 0.5])
def test_canary_is_sticky_and_close_to_its_share(tmp_path: Path, share: float) -> None:
    scorer = _scorer(tmp_path, StubModel("2"), share=0.0, canary_share=share)
    ids = range(1, 20_001)
    chosen = [i for i in ids if scorer.is_canary(i)]
    assert chosen == [i for i in ids if canary_bucket(i) < share]
    assert abs(len(chosen) / len(ids) - share) < 0.01


def test_only_versions_in_shadow_may_be_challengers() -> None:
    assert shadow_only({"shadow_state": "shadow"}) is None
    assert "rejected" in str(shadow_only({"shadow_state": "rejected_offline"}))
    assert shadow_only({}) is not None


def test_a_failing_canary_challenger_leaves_the_decision_to_the_champion(tmp_path: Path) -> None:
    """Canary entities get the challenger's decision; when it raises, the champion's (and the
    pair is logged with the error), and the client sees a normal answer either way."""
    from ml_model_services.common_service_libs.service_layer import ModelServiceLayer

    rules = load_bundled_rules(FRAUD.use_case)
    metrics = ServiceMetrics("test")
    champion = StubModel("1", score=0.5)
    today = datetime.now(UTC).date()
    for fail, expected in ((False, "challenger"), (True, "champion")):
        challenger = StubModel("2", fail=fail)
        scorer = _scorer(
            tmp_path / str(fail), challenger, champion, metrics, share=0.0, canary_share=1.0
        )
        layer = ModelServiceLayer(
            FRAUD, StubHandler(champion), None, rules, metrics, shadow=scorer  # type: ignore[arg-type]
        )
        request = {"user_id": 7, "amount": 20.0, "merchant_category": "grocery", "country": "DE",
                   "hour_of_day": 12, "transaction_id": "t-7"}  # fmt: skip
        _, (result,) = asyncio.run(layer.score([7], [request]))
        assert result["decided_by"] == expected
        assert result["model_version"] == ("2" if expected == "challenger" else "1")
        assert result["probability"] == (0.99 if expected == "challenger" else 0.5)
        assert scorer.drain() == 1  # canary pairs are always logged
        (record,) = read_shadow_log(tmp_path / str(fail), NAME, today, today)
        assert record.decided_by == expected and (record.error is not None) == fail
