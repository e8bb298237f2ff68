"""The reader-vs-SDK comparison's value check (pure; the timing itself runs in the benchmark)."""

from feature_store_management.benchmarks import reader_comparison as rc


def test_identical_rows_have_no_mismatch_and_nan_equals_nan() -> None:
    sdk = {3: {"user_id": 3, "age": 41, "spend_30d": float("nan"), "plan": None}}
    reader = {"3": {"age": 41, "spend_30d": float("nan"), "plan": None}}
    assert rc.mismatches(sdk, reader, ["age", "spend_30d", "plan"]) == []


def test_a_different_value_or_a_missing_entity_is_reported_by_name() -> None:
    sdk = {3: {"age": 41, "plan": "basic"}, 4: {"age": 20, "plan": None}}
    reader = {"3": {"age": 41.5, "plan": "basic"}}
    assert rc.mismatches(sdk, reader, ["age", "plan"]) == [
        "3.age: sdk 41 reader 41.5",
        "4: not read by the service reader",
    ]
