"""Engine selection for batch scoring (logic only; the speeds are in the benchmark)."""

import time

import numpy as np
import pandas as pd
import pytest

from ml_model_development.common_ml_utils import batch_scoring
from ml_model_development.common_ml_utils.batch_scoring import score_with_engine


class Engine:
    """A fake scorer returning a constant, remembering how many rows it scored."""

    def __init__(self, value: float, delay_s: float = 0.0) -> None:
        self.value, self.delay_s, self.rows = value, delay_s, 0

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        time.sleep(self.delay_s)
        self.rows += len(frame)
        return np.full(len(frame), self.value)


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_scoring, "AUTO_MIN_ROWS", 200)
    monkeypatch.setattr(batch_scoring, "SAMPLE_ROWS", 50)
    monkeypatch.setattr(batch_scoring, "WARMUP_ROWS", 5)
    monkeypatch.setattr(batch_scoring, "CHUNK_ROWS", 100)


def test_auto_keeps_the_sample_scores_of_the_faster_engine(small_limits) -> None:
    fast, slow = Engine(1.0), Engine(2.0, delay_s=0.3)
    x = pd.DataFrame({"a": np.arange(450.0)})
    said: list[str] = []
    engine, scores = score_with_engine(
        {"native": slow, "onnx": fast}, x, "auto", preferred="native", say=said.append
    )
    assert engine == "onnx"
    assert len(scores) == 450 and (scores == 1.0).all()
    assert slow.rows == 5 + 50  # warm-up + sample only: its work on the sample is the waste
    assert fast.rows == 5 + 450  # the sample is not scored twice
    assert "-> onnx" in said[0]


def test_small_batches_use_the_preferred_engine_without_timing(small_limits) -> None:
    native, onnx = Engine(1.0), Engine(2.0)
    engine, scores = score_with_engine(
        {"native": native, "onnx": onnx}, pd.DataFrame({"a": np.arange(199.0)}), "auto", "onnx"
    )
    assert engine == "onnx" and (scores == 2.0).all() and native.rows == 0


def test_an_explicit_engine_is_used_as_is(small_limits) -> None:
    native, onnx = Engine(1.0), Engine(2.0)
    x = pd.DataFrame({"a": np.arange(1000.0)})
    engine, scores = score_with_engine({"native": native, "onnx": onnx}, x, "native", "onnx")
    assert engine == "native" and len(scores) == 1000 and onnx.rows == 0


def test_auto_keeps_the_preferred_engine_unless_another_is_clearly_faster(small_limits) -> None:
    preferred, other = Engine(1.0, delay_s=0.05), Engine(2.0, delay_s=0.05)
    x = pd.DataFrame({"a": np.arange(450.0)})
    engine, scores = score_with_engine({"native": other, "onnx": preferred}, x, "auto", "onnx")
    assert engine == "onnx" and (scores == 1.0).all()  # equal speed: no switch
