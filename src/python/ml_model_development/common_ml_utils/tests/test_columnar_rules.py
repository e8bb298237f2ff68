"""The columnar Label Engine and read context equal the row-by-row ones, value by value.

The reference is what batch scoring did before (one dict per row through
:func:`read_context` and :meth:`RuleSet.decide`), on the bundled rule files over prepared
model inputs, and on a rule file made to hit every operator with odd values: NaN and None,
``pd.NA``, strings in a numeric column, ints against floats, bools, categoricals with a
missing category, list attributes, absent attributes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_model_development.common_ml_utils.batch_output import OutputSpec, decide_columns
from ml_model_development.common_ml_utils.columnar_rules import (
    Coded,
    column_of,
    context_columns,
    decide_columns_of,
    flag_patterns,
    joined,
)
from ml_model_development.common_ml_utils.preprocessing import prepare_frame
from mlops_common.contracts.features import CHURN, FRAUD, ModelContract
from mlops_common.label_engine import RuleSet, load_bundled_rules
from mlops_common.label_engine.context import read_context

ROWS = 3_000
CATEGORIES = ["gambling", "electronics", "grocery", "travel", None]


def row_context(stored: pd.DataFrame, contract: ModelContract) -> list[dict]:
    records = stored.astype(object).where(stored.notna(), None).to_dict("records")
    return [read_context(contract, row) for row in records]


def row_decisions(ruleset: RuleSet, attributes: list[dict]) -> tuple[list[str], list[str]]:
    decisions = [ruleset.decide(a) for a in attributes]
    return [d.label for d in decisions], [",".join(d.fired) for d in decisions]


def raw_frame(contract: ModelContract, rng: np.random.Generator) -> pd.DataFrame:
    """Stored + request values with gaps (NaN), and whole profiles missing on some rows."""
    data: dict[str, object] = {}
    for f in contract.features:
        if f.dtype == "string":
            values = rng.choice(["gambling", "electronics", "grocery", "US", "DE", "premium"], ROWS)
            data[f.name] = pd.Series(values, dtype=object).where(rng.random(ROWS) > 0.1)
        else:
            scale = 3000.0 if f.name == "amount" else 100.0
            values = np.round(rng.random(ROWS) * scale, 1 if f.dtype == "float" else 0)
            values[rng.integers(0, ROWS, 40)] = [100.0, 2000.0] * 20  # on the thresholds
            data[f.name] = pd.Series(values).where(rng.random(ROWS) > 0.1)
    frame = pd.DataFrame(data)
    profile = contract.entity_view_features
    frame.loc[rng.random(ROWS) < 0.2, profile] = np.nan  # unknown entities
    return frame


@pytest.mark.parametrize("contract", [FRAUD, CHURN], ids=lambda c: c.short_name)
def test_bundled_rules_give_the_row_by_row_labels_and_context(contract: ModelContract) -> None:
    rng = np.random.default_rng(7)
    frame = raw_frame(contract, rng)
    x = prepare_frame(frame, contract)
    stored = frame[[f.name for f in contract.stored_features]]
    scores = rng.random(ROWS)
    scores[:30] = [0.5, 0.7, 0.9] * 10  # exactly on the score thresholds
    ruleset = load_bundled_rules(contract.use_case)
    spec = OutputSpec(contract, contract.registered_model_name, "1", 0.5, pd.Timestamp.now(),
                      ruleset)  # fmt: skip
    out = decide_columns(x, stored, scores, spec)

    contexts = row_context(stored, contract)
    attributes = [
        {**row, "score": s, **ctx}
        for row, s, ctx in zip(x.to_dict("records"), scores.tolist(), contexts, strict=True)
    ]
    labels, fired = row_decisions(ruleset, attributes)
    assert out["label"].tolist() == labels
    assert out["fired_rules"].tolist() == fired
    assert out["degraded"].tolist() == [c["degraded"] for c in contexts]
    assert out["missing_count"].tolist() == [c["missing_count"] for c in contexts]
    assert out["missing_features"].tolist() == [",".join(c["missing_features"]) for c in contexts]
    assert out["entity_known"].tolist() == [c["entity_known"] for c in contexts]
    assert out["degraded"].dtype == bool and out["missing_count"].dtype == np.int64
    # the fail-safe rules really were exercised, not just the score rules
    assert {c["entity_known"] for c in contexts} == {True, False}
    assert len(set(fired)) > 3


ODD_RULES = {
    "name": "odd",
    "version": "1",
    "labels": ["low", "mid", "high", "top"],
    "default_label": "low",
    "rules": [
        {"name": "f_gte", "label": "mid", "when": {"f32": {"gte": 0.9}}},
        {"name": "f_ne", "label": "low", "when": {"f32": {"ne": 0.5}}},
        {"name": "f_eq_int", "label": "mid", "when": {"f32": {"eq": 1}}},
        {"name": "i_gt_float", "label": "high", "when": {"i64": {"gt": 2.5}}},
        {"name": "i_in", "label": "mid", "when": {"i64": {"in": [1, 3]}}},
        {"name": "i_not_in_mixed", "label": "mid", "when": {"i64": {"not_in": [1, "x"]}}},
        {"name": "b_eq", "label": "high", "when": {"flag": {"eq": True}, "f32": {"lt": 0.3}}},
        {"name": "cat_in", "label": "top", "when": {"cat": {"in": ["gambling", "travel"]}}},
        {"name": "cat_gt", "label": "mid", "when": {"cat": {"gt": 1}}},  # TypeError: never
        {"name": "mixed_lt", "label": "mid", "when": {"mixed": {"lt": 5}}},
        {"name": "mixed_eq_s", "label": "high", "when": {"mixed": {"eq": "seven"}}},
        {"name": "na_ne", "label": "mid", "when": {"nullable": {"ne": 2}}},
        {"name": "miss_any", "label": "high", "when": {"missing": {"includes_any": ["a", "c"]}}},
        {"name": "miss_all", "label": "top", "when": {"missing": {"includes_all": ["a", "b"]}}},
        {"name": "miss_eq", "label": "mid", "when": {"missing": {"eq": []}}},
        {"name": "csv_any", "label": "mid", "when": {"csv": {"includes_any": ["b"]}}},
        {"name": "lists_any", "label": "mid", "when": {"lists": {"includes_any": ["c"]}}},
        {"name": "known_false", "label": "high", "when": {"known": {"eq": False}}},
        {"name": "absent", "label": "top", "when": {"nowhere": {"eq": 1}}},
    ],
}


def test_every_operator_on_odd_values_matches_the_row_path() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    f32 = rng.choice([0.1, 0.29, 0.3, 0.5, 0.9, 1.0, np.nan], n).astype(np.float32)
    lists = [[], ["a"], ["a", "b"], ["c"], ["a", "b", "c"]]
    frame = pd.DataFrame(
        {
            "f32": f32,  # float32: 0.9 must be compared as the float64 the row dict holds
            "i64": rng.integers(0, 5, n),
            "flag": rng.random(n) > 0.5,
            "cat": pd.Categorical(rng.choice(np.array(CATEGORIES, dtype=object), n)),
            "mixed": pd.Series(rng.choice(np.array([1, 7.5, "seven", None, np.nan], object), n)),
            "nullable": pd.array(rng.choice([1, 2, 3], n), dtype="Int64"),
            "csv": rng.choice(["", "a,b", "c", "b"], n),
            "known": pd.Series(rng.choice(np.array([True, False, None], object), n)),
        }
    )
    frame.loc[rng.random(n) < 0.1, "nullable"] = pd.NA
    frame["lists"] = pd.Series([lists[i] for i in rng.integers(0, len(lists), n)], dtype=object)
    codes = rng.integers(0, len(lists), n)
    ruleset = RuleSet.from_mapping(ODD_RULES)

    columns = {name: column_of(frame[name]) for name in frame.columns}
    columns["missing"] = Coded(lists, codes)
    labels, fired = decide_columns_of(ruleset, columns, n)

    rows = frame.to_dict("records")
    for row, code in zip(rows, codes, strict=True):
        row["missing"] = lists[code]
    want_labels, want_fired = row_decisions(ruleset, rows)
    assert labels.tolist() == want_labels
    assert fired.tolist() == want_fired
    fired_names = {name for f in want_fired for name in f.split(",") if name}
    assert "absent" not in fired_names and "cat_gt" not in fired_names
    assert {"f_gte", "i_gt_float", "cat_in", "mixed_eq_s", "miss_all", "known_false",
            "lists_any", "na_ne"} <= fired_names  # fmt: skip


def test_context_without_stored_features_or_rows() -> None:
    empty = pd.DataFrame({f.name: pd.Series([], dtype=float) for f in FRAUD.stored_features})
    ctx = context_columns(empty, FRAUD)
    assert len(ctx["degraded"]) == 0 and len(joined(ctx["missing_features"])) == 0
    patterns, inverse = flag_patterns(np.zeros((4, 0), dtype=bool))
    assert patterns.shape == (1, 0) and inverse.tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("width", [3, 25, 70], ids=["table", "unique", "rows"])
def test_flag_patterns_index_every_row_by_its_pattern(width: int) -> None:
    flags = np.random.default_rng(width).random((500, width)) < 0.05
    flags[:100] = flags[100:200]  # repeated patterns
    patterns, inverse = flag_patterns(flags)
    assert (patterns[inverse] == flags).all()
    assert len({tuple(p) for p in patterns.tolist()}) == len(patterns)  # each pattern once
