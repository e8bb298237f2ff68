"""Which runtime scores a batch: this process or Spark, and how the Spark code is found.

pyspark is in the training resolve, but Pants packages only what a PEX's import graph reaches:
``trainer.pex`` never imports :mod:`spark_batch_scoring` (it is loaded here by name, which
Pants cannot infer), so it carries no pyspark; ``batch-scoring-spark.pex``
(``ml_model_development/spark_cli.py``) imports it and carries pyspark. ``auto`` therefore
uses Spark only where it can: a big batch in ``trainer.pex`` is scored in one process with a
line saying so, while an explicit ``spark`` there is a user error naming the PEX to run.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from types import ModuleType

from ml_model_development.common_ml_utils.settings import ConfigError, TrainingSettings

SPARK_MODULE = "ml_model_development.common_ml_utils.spark_batch_scoring"
SPARK_PEX_HINT = (
    "Spark batch scoring runs from the batch-scoring-spark PEX: "
    "./pants package src/python/ml_model_development:batch-scoring-spark, then "
    "python3.11 dist/src.python.ml_model_development/batch-scoring-spark.pex predict-batch ..."
)


def spark_available() -> bool:
    """True when pyspark can be imported (the Spark PEX, a dev venv), without importing it."""
    return importlib.util.find_spec("pyspark") is not None


def spark_runtime() -> ModuleType:
    """The Spark batch-scoring module, or a :class:`ConfigError` naming the PEX that has it."""
    if not spark_available():
        raise ConfigError(f"pyspark is not in this PEX. {SPARK_PEX_HINT}")
    return importlib.import_module(SPARK_MODULE)


def choose_runtime(
    requested: str | None,
    rows: int,
    settings: TrainingSettings,
    say: Callable[[str], None] | None = None,
) -> str:
    """``single`` or ``spark`` for a batch of ``rows`` (``requested`` overrides the setting)."""
    runtime = requested or settings.batch_runtime
    if runtime not in ("auto", "single", "spark"):
        raise ConfigError(f"unknown batch runtime {runtime!r}: use auto, single or spark")
    if runtime == "spark":
        spark_runtime()  # fail before any work when pyspark is missing
        return "spark"
    if runtime == "single" or rows < settings.spark_min_rows:
        return "single"
    if not spark_available():
        if say is not None:
            say(
                f"{rows} rows >= TRAINING_SPARK_MIN_ROWS={settings.spark_min_rows} but this "
                f"PEX has no pyspark: scoring in one process. {SPARK_PEX_HINT}"
            )
        return "single"
    return "spark"
