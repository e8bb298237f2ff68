"""Batch scoring on Spark: the single-process engine's decide code, run per partition.

Only ``batch-scoring-spark.pex`` imports this module (see :mod:`batch_runtime`), so pyspark
stays out of ``trainer.pex``. The driver has already read the day's rows and the registered
model exactly as the single-process engine does; here each Spark task scores its rows with
:func:`~batch_output.decide_columns` — the function the single-process engine calls — on the
same model bytes, rules and read context, so predictions, labels and fired rules are the same
row by row (``tests/test_spark_batch_scoring.py`` checks it against the single process).

How the rows travel, and why:

* **In:** the model input (``trainer.features``: float32 numerics, strings), the raw stored
  features (for the read context) and a row number go to a temporary parquet file with
  ``ROW_GROUP_ROWS``-row groups that Spark reads in parallel. Parquet keeps float32 and
  strings exactly, so each task sees the values the single process scores, and the driver
  does not stream millions of rows through py4j.
* **Per task:** ``mapInPandas`` calls :func:`_decide_partition` once per partition with an
  iterator of Arrow batches: the native pipeline (captured in the closure, unpickled once per
  task) gets ``n_jobs=1`` and ONNX Runtime one intra-op thread, because Spark already runs one
  task per core; ``maxRecordsPerBatch`` is ``CHUNK_ROWS`` like the single-process chunks.
* **Out:** tasks write only the decided columns (``score``, ``prediction``, read context,
  ``label``, ``fired_rules``) plus the row number to a temporary parquet folder; the driver
  reads it back, puts rows in their original order and :func:`~batch_output.assemble_output`
  builds the same single output file with the same columns and dtypes as the single process
  (UTC timestamps and float32 features never go through Spark's types). The file layout
  downstream readers (drift checks, Airflow's partition folders, PostgreSQL publishing) see
  is therefore unchanged. Collecting through ``toPandas`` would also work; the parquet
  round trip was chosen to keep the driver's JVM out of the row path (not benchmarked
  against it).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils.batch_output import (
    DECIDED,
    LABELS,
    OutputSpec,
    decide_columns,
)
from ml_model_development.common_ml_utils.batch_scoring import (
    CHUNK_ROWS,
    engine_scorers,
    score_frame,
)

ROW = "__row"
STORED = "__stored__"
ROW_GROUP_ROWS = 100_000
SPARK_TYPES = {
    "score": "double",
    "prediction": "long",
    "degraded": "boolean",
    "missing_features": "string",
    "missing_count": "long",
    "entity_known": "boolean",
    "label": "string",
    "fired_rules": "string",
}


def spark_session(master: str) -> Any:
    """A batch-scoring session on ``master`` whose Python workers run this interpreter.

    Workers start ``PYSPARK_PYTHON`` (default ``python3``, which has no pandas/xgboost here),
    so it is pinned to ``sys.executable`` and the driver's ``sys.path`` is handed down through
    ``PYTHONPATH`` (Spark merges it into the workers' path): a task imports exactly the code
    and libraries the driver runs, whether from a venv PEX or a Pants test sandbox. On a
    ``spark://`` cluster the workers need the same PEX at the same path.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("batch_scoring")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(CHUNK_ROWS))
        .config("spark.driver.memory", os.environ.get("TRAINING_SPARK_DRIVER_MEMORY", "2g"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _transportable(stored: pd.DataFrame) -> pd.DataFrame:
    """``stored`` with all-null object columns typed as strings: parquet's null type is not
    one Spark reads, and read_context only asks whether such a value is missing."""
    out = stored.reset_index(drop=True)
    for col in out.columns:
        if out[col].dtype == object and out[col].isna().all():
            out[col] = out[col].astype("string")
    return out


def _output_schema(spec: OutputSpec) -> str:
    names = [ROW, *DECIDED, *(LABELS if spec.ruleset is not None else ())]
    return ", ".join(f"{n} {'long' if n == ROW else SPARK_TYPES[n]}" for n in names)


def _partition_decider(
    spec: OutputSpec, native: Pipeline, onnx_bytes: bytes, engine: str
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The ``mapInPandas`` function: one scorer per task, ``decide_columns`` per batch."""
    c = spec.contract
    features = list(c.feature_names)
    stored_names = [f.name for f in c.stored_features]

    def decide_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        if engine == "native":
            native.steps[-1][1].set_params(n_jobs=1)  # one Spark task per core already
        score = engine_scorers(native, onnx_bytes, c, onnx_threads=1)[engine]
        for batch in batches:
            x = batch[features]
            stored = batch[[STORED + n for n in stored_names]]
            stored.columns = stored_names
            decided = decide_columns(x, stored, score_frame(score, x), spec)
            decided.insert(0, ROW, batch[ROW].to_numpy())
            yield decided

    return decide_partition


def decide_on_spark(
    x: pd.DataFrame,
    stored: pd.DataFrame,
    spec: OutputSpec,
    native: Pipeline,
    onnx_bytes: bytes,
    engine: str,
    master: str,
    say: Callable[[str], None] | None = None,
    spark: Any = None,
    timings: dict[str, float] | None = None,
) -> pd.DataFrame:
    """:func:`decide_columns` of every row of ``x``, computed by Spark tasks, in row order.

    ``engine`` is ``native`` or ``onnx`` (the caller resolves ``auto``); ``spark`` reuses a
    running session (the benchmark, tests), else one is started on ``master`` and stopped.
    ``timings`` (when given) receives where the time went: ``write_input``, ``spark_job``
    (read, mapInPandas, write), ``read_back`` (read + reorder), seconds.
    """
    parts = timings if timings is not None else {}
    if engine not in ("native", "onnx"):
        raise ValueError(f"Spark batch scoring needs engine native or onnx, got {engine!r}")
    own = spark is None
    session = spark_session(master) if own else spark
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="spark-batch-") as tmp:
            inp = pd.concat(
                [
                    x.reset_index(drop=True),
                    _transportable(stored).add_prefix(STORED),
                    pd.DataFrame({ROW: range(len(x))}, dtype="int64"),
                ],
                axis=1,
            )
            inp.to_parquet(Path(tmp, "in.parquet"), index=False, row_group_size=ROW_GROUP_ROWS)
            del inp
            parts["write_input"] = time.perf_counter() - started
            out_dir = str(Path(tmp, "decided"))
            (
                session.read.parquet(str(Path(tmp, "in.parquet")))
                .mapInPandas(
                    _partition_decider(spec, native, onnx_bytes, engine), _output_schema(spec)
                )
                .write.parquet(out_dir)
            )
            parts["spark_job"] = time.perf_counter() - started - parts["write_input"]
            decided = pd.read_parquet(out_dir)
    finally:
        if own:
            session.stop()
    if len(decided) != len(x):
        raise RuntimeError(f"Spark returned {len(decided)} scored rows for {len(x)} input rows")
    decided = decided.sort_values(ROW, kind="stable").drop(columns=ROW).reset_index(drop=True)
    parts["read_back"] = time.perf_counter() - started - parts["write_input"] - parts["spark_job"]
    if say is not None:
        say(f"spark ({master}, engine {engine}) decided {len(x)} rows in "
            f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    return decided
