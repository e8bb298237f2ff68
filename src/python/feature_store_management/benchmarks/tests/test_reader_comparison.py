"""The reader-vs-SDK comparison's value check (pure; the timing itself runs in the benchmark)."""

from feature_store_management.benchmarks import reader_comparison as rc


def test_identical_rows_have_no_mismatch_and_nan_equals_nan() -> None:
    sdk = {3: {"user_id": 3, "age": 41, "spend_30d": float("nan"), "plan": None}}
    reader = {"3": {"age": 41, "spend_30d": float("nan"), "plan": None}}
    assert rc.mismatches(sdk, reader, ["age", "spend_30d", "plan"]) == []


def test_a_different_value_or_a_missing_entity_is_reported_by_name() -> None:
    sdk: dict[int, dict[str, object]] = {
        3: {"age": 41, "plan": "basic"},
        4: {"age": 20, "plan": None},
    }
    reader = {"3": {"age": 41.5, "plan": "basic"}}
    assert rc.mismatches(sdk, reader, ["age", "plan"]) == [
        "3.age: sdk 41 reader 41.5",
        "4: not read by the service reader",
    ]


class _FakeResponse:
    def __init__(self, entity_id: int) -> None:
        self.entity_id = entity_id

    def to_dict(self) -> dict:
        return {"user_id": [self.entity_id], "age": [self.entity_id * 2]}


class _FakeStore:
    def get_feature_service(self, name: str) -> str:
        return name

    def get_online_features(self, features: str, entity_rows: list[dict]) -> _FakeResponse:
        assert len(entity_rows) == 1  # one entity per call, as the reader is timed
        return _FakeResponse(entity_rows[0]["user_id"])


def test_sdk_rows_cover_the_same_positions_the_reader_returns(monkeypatch) -> None:
    # Ids repeat; the reader returns rows for ids[:VALUES_CHECKED], so must the SDK side.
    monkeypatch.setattr(rc, "VALUES_CHECKED", 3)
    ids = [5, 5, 6, 7, 8]
    samples, rows = rc.sdk_reads(_FakeStore(), ids, warmup=0)
    assert len(samples) == len(ids)
    assert rows == {5: {"user_id": 5, "age": 10}, 6: {"user_id": 6, "age": 12}}
    reader = {str(e): {"age": e * 2} for e in ids[:3]}
    assert rc.mismatches(rows, reader, ["age"]) == []
