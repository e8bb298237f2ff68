"""The skew check flags served values that differ from the raw-data recomputation, only those."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from feature_store_management import cli
from feature_store_management.data_generation.raw_store import load_raw
from feature_store_management.skew_check import check, textfile
from mlops_common.contracts.transaction_windows import aggregate

T = pd.Timestamp("2026-03-10 12:00:00", tz="UTC")
RAW = pd.DataFrame(
    {
        "transaction_id": [1, 2, 3],
        "user_id": [5, 5, 6],
        "event_timestamp": [T - pd.Timedelta(days=2), T - pd.Timedelta(minutes=30), T],
        "amount": [40.0, 60.0, 10.0],
        "merchant_category": ["fuel", "grocery", "fuel"],
    }
)


def served_at(user: int, at: pd.Timestamp, **wrong: float) -> dict:
    events = [
        (ts.timestamp(), a, c)
        for u, ts, a, c in zip(
            RAW.user_id, RAW.event_timestamp, RAW.amount, RAW.merchant_category, strict=True
        )
        if u == user
    ]
    features = {**aggregate(events, at.timestamp()), **wrong}
    return {"entity_id": user, "decided_at": at.timestamp(), "features": features}


def test_only_skewed_decisions_are_flagged() -> None:
    decisions = [
        served_at(5, T - pd.Timedelta(minutes=10)),  # right
        served_at(6, T),  # right: the payment at T is not in its own window
        # Stale: the 1h count of the payment 30 minutes earlier, served a day later.
        served_at(5, T - pd.Timedelta(hours=1), txn_count_1h=1),
        served_at(5, T + pd.Timedelta(hours=1)),  # newer than the raw data: pending
    ]
    report = check("fraud_detection_xgboost", decisions, RAW)
    assert (report.judged, report.pending, report.skewed) == (3, 1, 1)
    assert report.per_feature["txn_count_1h"] == 1 and sum(report.per_feature.values()) == 1
    assert report.ratio == 1 / 3
    assert report.examples[0]["served"] == {"txn_count_1h": 1}
    assert report.examples[0]["offline"] == {"txn_count_1h": 0}

    text = textfile(report, now=1.0)
    assert 'mlops_feature_skew_ratio{model="fraud_detection_xgboost",feature="any"} 0.333' in text
    assert 'mlops_feature_skew_decisions{model="fraud_detection_xgboost",state="pending"} 1' in text
    assert "# TYPE mlops_feature_skew_last_check_timestamp_seconds gauge" in text


def test_cli_prints_json_and_writes_the_textfile(
    make_settings, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    load_raw(settings, "transactions", RAW.assign(merchant_id=1, country="DE", is_fraud=0))
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"decisions": [served_at(5, T, txn_count_24h=9)]}))
    prom = tmp_path / "textfile" / "skew_fraud.prom"
    monkeypatch.setenv("MLOPS_HOME", str(settings.home))
    monkeypatch.setenv("MLOPS_PROFILE", settings.profile.value)
    code = cli.main(
        ["skew", "--decisions", str(decisions), "--model", "m", "--textfile", str(prom)]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)  # stdout is exactly the one JSON result
    assert summary["skewed"] == 1 and summary["per_feature"]["txn_count_24h"] == 1
    assert 'mlops_feature_skew_ratio{model="m",feature="any"} 1.0' in prom.read_text()
