"""Rules on the read behind a score: degraded, missing features, unknown entity (fail safe)."""

import importlib.util
import math
from pathlib import Path

import pytest

from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.label_engine import RuleFileError, RuleSet, bundled_rules_path, load_rules
from mlops_common.label_engine.cli import main
from mlops_common.label_engine.context import read_context
from mlops_common.label_engine.dry_run import dry_run, read_history

STORED = [f.name for f in FRAUD.stored_features]
PROFILE = ["account_age_days", "age", "home_country"]
KNOWN = {
    "txn_count_1h": 0,
    "txn_count_24h": 3,
    "txn_amount_sum_24h": 80.0,
    "txn_amount_avg_7d": 40.0,
    "txn_amount_max_7d": 90.0,
    "distinct_categories_7d": 2,
    "account_age_days": 700,
    "age": 35,
    "home_country": "DE",
}
# An unknown user's large payment abroad: the request as the API gets it, is_foreign is 0
# because the home country is unknown, the score is what the model gives the defaults.
PAYMENT = {"amount": 129.50, "merchant_category": "electronics", "country": "BR", "is_foreign": 0}


def _rules(*rules: dict) -> RuleSet:
    return RuleSet.from_mapping(
        {
            "name": "t",
            "version": "1",
            "labels": ["approve", "review"],
            "default_label": "approve",
            "rules": list(rules),
        }
    )


def test_read_context_tells_known_degraded_unknown_and_unread_apart() -> None:
    assert read_context(FRAUD, KNOWN) == {
        "degraded": False,
        "missing_features": [],
        "missing_count": 0,
        "entity_known": True,
    }
    # An empty aggregate window (or a broken pipeline) is degraded, not an unknown card holder.
    no_window = {**KNOWN, "txn_amount_avg_7d": float("nan"), "txn_count_1h": None}
    ctx = read_context(FRAUD, no_window)
    assert ctx["degraded"] and ctx["entity_known"] is True
    assert ctx["missing_features"] == ["txn_count_1h", "txn_amount_avg_7d"]  # contract order
    # Profile gone but aggregates present still means: not in the registry of card holders.
    ctx = read_context(FRAUD, {**KNOWN, **dict.fromkeys(PROFILE)})
    assert ctx["entity_known"] is False and ctx["missing_features"] == PROFILE
    # One profile feature missing is a gap, not an unknown entity.
    assert read_context(FRAUD, {**KNOWN, "age": None})["entity_known"] is True
    # Nothing at all (absent keys count as missing) vs. the store not read.
    nothing = read_context(FRAUD, {})
    assert nothing["entity_known"] is False and nothing["missing_count"] == len(STORED)
    unread = read_context(FRAUD, None)
    assert unread["entity_known"] is None and unread["degraded"] is True
    assert unread["missing_features"] == STORED
    assert read_context(CHURN, {"plan": "basic"})["entity_known"] is True


def test_list_operators_on_missing_features() -> None:
    rules = _rules(
        {
            "name": "velocity_blind",
            "label": "review",
            "when": {"missing_features": {"includes_any": ["txn_count_1h", "txn_count_24h"]}},
        },
        {
            "name": "profile_gone",
            "label": "review",
            "when": {"missing_features": {"includes_all": PROFILE}},
        },
        {"name": "many_missing", "label": "review", "when": {"missing_count": {"gte": 5}}},
    )
    assert rules.decide({"missing_features": ["txn_count_24h"]}).fired == ("velocity_blind",)
    assert rules.decide({"missing_features": ["age", "home_country"]}).fired == ()
    assert rules.decide({"missing_features": PROFILE, "missing_count": 3}).fired == (
        "profile_gone",
    )
    # The comma-separated form batch outputs and CSV history carry is the same list.
    assert rules.decide({"missing_features": "account_age_days, age,home_country"}).fired == (
        "profile_gone",
    )
    assert rules.decide({"missing_features": ""}).fired == ()
    assert rules.decide({"missing_features": 3}).fired == ()  # not a list: never fires
    assert rules.decide({"missing_count": 9}).fired == ("many_missing",)


@pytest.mark.parametrize(
    ("test", "message"),
    [({"includes_any": "age"}, "needs a list"), ({"includes_all": []}, "non-empty list")],
)
def test_list_operators_need_a_non_empty_list(test: dict, message: str) -> None:
    with pytest.raises(RuleFileError, match=message):
        _rules({"name": "r", "label": "review", "when": {"missing_features": test}})


def test_bundled_fraud_rules_fail_safe_above_the_amount_threshold() -> None:
    rules = load_rules(bundled_rules_path("fraud_detection"))
    unknown = read_context(FRAUD, dict.fromkeys(STORED))
    low = 0.05  # the model's view of a payment it scored on defaults

    big = rules.decide({**PAYMENT, **unknown, "score": low})
    assert big.label == "review"
    assert {"unknown_card_holder", "degraded_read"} <= set(big.fired)
    small = rules.decide({**PAYMENT, "amount": 20.0, **unknown, "score": low})
    assert small.label == "approve" and small.fired == ()  # still decided by the model
    assert rules.decide({**PAYMENT, "amount": 20.0, **unknown, "score": 0.95}).label == "block"

    # Store down: entity status unknown, entity rule silent, degraded rule reviews.
    down = rules.decide({**PAYMENT, **read_context(FRAUD, None), "score": low})
    assert down.label == "review" and down.fired == ("degraded_read",)

    # A known card holder with a complete read is decided by the model alone.
    known = rules.decide({**PAYMENT, **read_context(FRAUD, KNOWN), "score": low})
    assert known.label == "approve" and known.fired == ()
    # Rows without the context (old history, old callers) never trip the new rules.
    assert rules.decide({**PAYMENT, "score": low}).label == "approve"


def test_dry_run_replays_csv_history_with_flags_and_lists(tmp_path: Path) -> None:
    bundled = bundled_rules_path("fraud_detection")
    text = bundled.read_text()
    before = text.split("  - name: unknown_card_holder")[0].replace('"2026.11.2"', '"old"')
    old = tmp_path / "old.yaml"
    old.write_text(before)
    history = tmp_path / "scored.csv"
    history.write_text(
        "amount,is_foreign,score,degraded,missing_features,missing_count,entity_known\n"
        '129.5,0,0.05,True,"account_age_days,age,home_country",3,False\n'
        "129.5,0,0.05,False,,0,True\n"
        '20.0,0,0.05,True,"txn_count_1h",1,True\n'
        '150.0,0,0.05,True,"age",1,\n'
    )
    rows = list(read_history(history))
    assert rows[0]["degraded"] is True and rows[3]["entity_known"] is None
    report = dry_run(load_rules(old), load_rules(bundled), rows)
    assert report.rows == 4 and report.changed == 2
    assert report.transitions[("approve", "review")] == 2
    assert report.candidate_rule_hits["unknown_card_holder"] == 1
    assert report.candidate_rule_hits["degraded_read"] == 2
    assert not math.isnan(report.as_dict()["changed_share"])


def test_parquet_history_without_pyarrow_says_how_to_proceed(tmp_path: Path, capsys) -> None:
    if importlib.util.find_spec("pyarrow") is not None:
        pytest.skip("pyarrow is installed here: the parquet path is tested with batch scoring")
    history = tmp_path / "scored.parquet"
    history.write_bytes(b"PAR1")
    rules = str(bundled_rules_path("fraud_detection"))
    args = ["dry-run", "--current", rules, "--candidate", rules, "--history", str(history)]
    assert main(args) == 1
    assert "needs pyarrow" in capsys.readouterr().err
