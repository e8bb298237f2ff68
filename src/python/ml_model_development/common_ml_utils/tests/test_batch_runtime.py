"""Which runtime a batch gets: the row threshold, the setting, and a PEX without pyspark."""

import pytest

from ml_model_development.common_ml_utils import batch_runtime
from ml_model_development.common_ml_utils.batch_runtime import choose_runtime
from ml_model_development.common_ml_utils.settings import ConfigError, TrainingSettings

SETTINGS = TrainingSettings(spark_min_rows=1_000)


def test_auto_uses_spark_from_the_threshold_on(monkeypatch) -> None:
    # this test's import graph (like trainer.pex's) has no pyspark: pretend a Spark PEX
    monkeypatch.setattr(batch_runtime, "spark_available", lambda: True)
    assert choose_runtime(None, 999, SETTINGS) == "single"
    assert choose_runtime("auto", 1_000, SETTINGS) == "spark"
    assert choose_runtime("single", 10**9, SETTINGS) == "single"
    monkeypatch.setattr(batch_runtime, "spark_runtime", lambda: None)
    assert choose_runtime(None, 10, TrainingSettings(batch_runtime="spark")) == "spark"


def test_pyspark_is_not_in_this_import_graph() -> None:
    """Like trainer.pex: batch_runtime reaches the Spark module only by name."""
    assert not batch_runtime.spark_available()


def test_without_pyspark_auto_falls_back_and_spark_names_the_pex(monkeypatch) -> None:
    monkeypatch.setattr(batch_runtime, "spark_available", lambda: False)
    said: list[str] = []
    assert choose_runtime(None, 5_000, SETTINGS, said.append) == "single"
    assert "TRAINING_SPARK_MIN_ROWS=1000" in said[0] and "batch-scoring-spark" in said[0]
    with pytest.raises(ConfigError, match="batch-scoring-spark"):
        choose_runtime("spark", 10, SETTINGS)


def test_an_unknown_runtime_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="auto, single or spark"):
        choose_runtime("gpu", 10, SETTINGS)
