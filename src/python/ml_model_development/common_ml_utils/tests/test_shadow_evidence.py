"""Shadow evidence on a synthetic log with known flips and labels: exact counts and verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from ml_model_development.common_ml_utils.settings import TrainingSettings
from ml_model_development.common_ml_utils.shadow_evidence import (
    ShadowPolicy,
    compute_evidence,
    judge,
)
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.shadow_log import ShadowRecord

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


def fraud_log() -> tuple[list[ShadowRecord], pd.DataFrame]:
    """100 transactions: the challenger flips 6 approve->review and 2 review->approve, fails
    on 1, and one record belongs to another challenger; 60 transactions have outcome labels."""
    records, label_rows = [], []
    for i in range(100):
        fraud = i % 10 == 0
        champ = 0.8 if fraud else 0.2
        chal: float | None = 0.9 if fraud else 0.1
        champ_label = "review" if champ >= 0.5 else "approve"
        chal_label: str | None = champ_label
        if i in (1, 2, 3, 4, 5, 6):  # legit payments the challenger would send to review
            chal, chal_label = 0.6, "review"
        if i in (20, 30):  # frauds the challenger would approve
            chal, chal_label = 0.3, "approve"
        error: str | None = None
        if i == 99:
            chal, chal_label, error = None, None, "onnxruntime failed"
        records.append(
            ShadowRecord(
                ts=(T0 + timedelta(seconds=i)).isoformat(),
                request_id=f"r{i}",
                entity_id=i % 7,
                event_id=5000 + i,
                champion_version="1",
                challenger_version="2",
                champion_score=champ,
                challenger_score=chal,
                champion_label=champ_label,
                challenger_label=chal_label,
                decided_by="challenger" if i % 4 == 0 else "champion",
                error=error,
            )
        )
        if i < 60:
            label_rows.append({"transaction_id": 5000 + i, "user_id": i % 7, "is_fraud": fraud})
    records.append(
        ShadowRecord(
            ts=T0.isoformat(), request_id="other", entity_id=1, event_id=1, champion_version="1",
            challenger_version="3", champion_score=0.1, challenger_score=0.9,
            champion_label="approve", challenger_label="review",
        )
    )  # fmt: skip
    labels = pd.DataFrame(label_rows)
    labels["event_timestamp"] = pd.Timestamp(T0)
    return records, labels


def policy(**overrides: object) -> ShadowPolicy:
    values: dict[str, object] = {
        "metric": "roc_auc",
        "min_requests": 50,
        "min_agreement": 0.9,
        "min_labelled": 40,
        "max_metric_drop": 0.0,
    }
    values.update(overrides)
    return ShadowPolicy(**values)  # type: ignore[arg-type]


def test_counts_agreement_and_changed_decisions_are_exact() -> None:
    records, labels = fraud_log()
    evidence = compute_evidence(records, labels, FRAUD, "1", "2", policy())
    assert evidence.requests == 99 and evidence.errors == 1  # the other pair is not counted
    assert evidence.agreeing == 91 and evidence.agreement == pytest.approx(91 / 99)
    assert evidence.changed == {"approve->review": 6, "review->approve": 2}
    assert evidence.changed_total == 8
    assert evidence.canary_requests == 25  # i % 4 == 0 for i < 99, 0..96
    # transaction ids 5000..5059 have outcomes: 60 labelled, 6 frauds (0, 10, ..., 50)
    assert evidence.labelled == 60 and evidence.positives == 6
    # The champion ranks every fraud above every legit payment (ROC-AUC 1). The challenger
    # scores frauds 20 and 30 at 0.3, below the 6 legit payments it scores 0.6: 2 * 6 of the
    # 6 * 54 (fraud, legit) pairs are ordered wrong.
    assert evidence.champion_metric == pytest.approx(1.0)
    assert evidence.challenger_metric == pytest.approx(1 - (2 * 6) / (6 * 54))
    assert evidence.first_ts == T0.isoformat()


def test_verdicts_wait_reject_promote() -> None:
    records, labels = fraud_log()
    evidence = compute_evidence(records, labels, FRAUD, "1", "2", policy())
    verdict, reason = judge(evidence, policy(min_requests=100))
    assert verdict == "wait" and "99 shadowed requests < 100" in reason
    verdict, reason = judge(evidence, policy(min_agreement=0.95))
    assert verdict == "reject" and "agreement 0.9192 < 0.95" in reason
    verdict, reason = judge(evidence, policy(min_labelled=61))
    assert verdict == "wait" and "60 labelled shadow rows < 61" in reason
    verdict, reason = judge(evidence, policy())
    assert verdict == "reject" and "drop 0.0370 > 0.0" in reason
    verdict, reason = judge(evidence, policy(max_metric_drop=0.05))
    assert verdict == "promote" and "agreement 0.9192" in reason


def test_no_labels_yet_waits() -> None:
    records, labels = fraud_log()
    evidence = compute_evidence(records, labels.iloc[0:0], FRAUD, "1", "2", policy())
    assert evidence.labelled == 0 and evidence.champion_metric is None
    verdict, _ = judge(evidence, policy())
    assert verdict == "wait"


def test_churn_labels_join_as_of_the_request() -> None:
    """No event key: each request takes the user's newest label snapshot at or before it."""
    snapshots = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "event_timestamp": [T0 - timedelta(days=30), T0, T0 + timedelta(days=1)],
            "churned": [0, 1, 0],
        }
    )
    records = [
        ShadowRecord(
            ts=(T0 + offset).isoformat(),
            request_id=f"r{n}",
            entity_id=user,
            event_id=None,
            champion_version="4",
            challenger_version="5",
            champion_score=score,
            challenger_score=score,
            champion_label="stay",
            challenger_label="stay",
        )  # fmt: skip
        for n, (user, offset, score) in enumerate(
            [
                (1, timedelta(days=-1), 0.2),  # the old snapshot: churned 0
                (1, timedelta(hours=1), 0.7),  # the new snapshot: churned 1
                (2, timedelta(hours=1), 0.1),  # user 2's snapshot is later: unlabelled
            ]
        )
    ]
    evidence = compute_evidence(records, snapshots, CHURN, "4", "5", policy())
    assert evidence.requests == 3 and evidence.labelled == 2 and evidence.positives == 1
    assert evidence.champion_metric == evidence.challenger_metric == pytest.approx(1.0)


def test_policy_reads_training_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINING_PROMOTION_POLICY", "shadow")
    monkeypatch.setenv("TRAINING_SHADOW_MIN_AGREEMENT", "0.8")
    settings = TrainingSettings()
    assert settings.promotion_policy == "shadow"
    assert ShadowPolicy.from_settings(settings).min_agreement == 0.8
    assert TrainingSettings(promotion_policy="offline").promotion_policy == "offline"
