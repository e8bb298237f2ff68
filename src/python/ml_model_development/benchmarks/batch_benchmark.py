"""Benchmark (not a test): batch scoring in one process vs on Spark, rows/s per batch size.

    ./pants run src/python/ml_model_development/benchmarks:batch-benchmark -- \\
        --sizes 1000000,10000000 --json "$PWD/dist/benchmarks/batch.json"

Both sides get the same input and do the same work, all inside the clock: from the day's
joined rows (a seeded synthetic frame in the fraud contract's schema) through
``trainer.features`` (the model input), scoring with the same registered model (same engine,
``--engine``, default the model's ``preferred_batch_engine``), the Label Engine's bundled
rules and the read context (:func:`~batch_output.decide_columns`), to the assembled output
frame written as the single parquet file ``predict-batch`` writes. Same cores too: the single
process runs the engine with the production threads (native ``n_jobs`` from the settings,
ORT's default), Spark runs ``--master`` (default ``local[2]``) with one thread per task.

* **single process**: :func:`~batch_scoring.score_with_engine` + ``decide_columns`` +
  ``assemble_output``, as ``predict-batch --runtime single``;
* **spark**: :func:`~spark_batch_scoring.decide_on_spark` (temporary parquet in, ``mapInPandas``
  per partition, parquet out, back in row order) + ``assemble_output``, as
  ``predict-batch --runtime spark``. The session is started once before the sizes; its start
  time is printed and also charged in ``spark_rows_per_s_incl_start`` (every
  ``predict-batch`` run pays it once).

Printed per size: rows/s of both, the Spark/single ratio, and that both gave the same scores
(max |diff|) and labels. The **crossover** is the smallest measured size at which Spark
(start included) beats the single process, else a linear estimate from the largest size's
per-row costs (``None`` when Spark's per-row cost is not lower). ``--json PATH`` writes
``{"sizes": {"<rows>": {"single_process_rows_per_s", "spark_rows_per_s", ...}}, ...}``.
The model is trained on ``--train-rows`` synthetic rows into a temporary SQLite MLflow and
loaded back from the registry (not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import mlflow
import pandas as pd

from ml_model_development.benchmarks.synthetic_data import (
    BENCH_TRAINERS,
    POSITIVE_RATE,
    SETTINGS,
    synthetic_frame,
)
from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.batch_output import (
    OutputSpec,
    assemble_output,
    decide_columns,
    stored_frame,
)
from ml_model_development.common_ml_utils.batch_scoring import engine_scorers, score_with_engine
from ml_model_development.common_ml_utils.spark_batch_scoring import decide_on_spark, spark_session
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH
from mlops_common.label_engine import bundled_rules_path, load_rules
from mlops_common.settings import PlatformSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batch-benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated row counts")
    parser.add_argument("--model", choices=sorted(BENCH_TRAINERS), default="fraud")
    parser.add_argument("--engine", choices=["native", "onnx"], default=None)
    parser.add_argument("--master", default="local[2]", help="Spark master")
    parser.add_argument("--train-rows", type=int, default=50_000)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    return parser


def _crossover(sizes: dict[int, dict[str, Any]], start_s: float) -> dict[str, Any]:
    """Smallest measured size where Spark incl. start wins, else a linear estimate."""
    for rows in sorted(sizes):
        if sizes[rows]["spark_rows_per_s_incl_start"] > sizes[rows]["single_process_rows_per_s"]:
            return {"rows": rows, "how": "measured"}
    largest = sizes[max(sizes)]
    single_row_s = 1.0 / largest["single_process_rows_per_s"]
    spark_row_s = 1.0 / largest["spark_rows_per_s"]
    if spark_row_s >= single_row_s:
        return {"rows": None, "how": "spark's per-row cost is not lower: no crossover"}
    return {"rows": int(start_s / (single_row_s - spark_row_s)), "how": "estimated"}


def run(argv: list[str] | None = None, stream: TextIO | None = None) -> dict[str, Any]:
    """Parse ``argv``, time both runtimes per size, print the table; return the figures."""
    args = _parser().parse_args(argv)
    stream = stream if stream is not None else sys.stderr
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

    def say(message: str) -> None:
        print(f"[batch-benchmark] {message}", file=stream, flush=True)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    trainer_cls, settings = BENCH_TRAINERS[args.model], SETTINGS[args.model]()
    contract = trainer_cls.contract
    engine = args.engine or trainer_cls.preferred_batch_engine
    ruleset = load_rules(bundled_rules_path(contract.use_case))
    figures: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="batch-benchmark-") as tmp:
        platform = PlatformSettings(home=Path(tmp), mlflow_tracking_uri=None)
        mlflow_utils.configure(platform)
        say(f"training the {contract.registered_model_name} model on {args.train_rows} rows")
        train = synthetic_frame(contract, args.train_rows, 3, POSITIVE_RATE[args.model])
        trainer = trainer_cls(train, settings=settings, platform=platform, stream=stream)
        result = trainer.run()
        native = mlflow.sklearn.load_model(
            mlflow_utils.native_model_uri(trainer.name, version=result.model_version)
        )
        onnx_bytes = Path(
            mlflow.artifacts.download_artifacts(
                run_id=result.run_id, artifact_path=ONNX_ARTIFACT_PATH
            )
        ).read_bytes()
        spec = OutputSpec(
            contract, trainer.name, str(result.model_version),
            settings.decision_threshold, datetime.now(UTC), ruleset,
        )  # fmt: skip
        started = time.perf_counter()
        spark = spark_session(args.master)
        start_s = time.perf_counter() - started
        say(f"Spark session on {args.master} started in {start_s:.1f}s")
        try:
            for rows in sizes:
                say(f"generating {rows} rows")
                frame = synthetic_frame(contract, rows, 11, POSITIVE_RATE[args.model])

                single_parts: dict[str, float] = {}
                spark_parts: dict[str, float] = {}

                def single(
                    frame: pd.DataFrame = frame, single_parts: dict[str, float] = single_parts
                ) -> pd.DataFrame:
                    t0 = time.perf_counter()
                    x = trainer.features(frame)
                    scorers = engine_scorers(native, onnx_bytes, contract)
                    t1 = time.perf_counter()
                    _, scores = score_with_engine(scorers, x, engine, engine)
                    t2 = time.perf_counter()
                    decided = decide_columns(x, stored_frame(frame, contract), scores, spec)
                    t3 = time.perf_counter()
                    single_parts.update(features=t1 - t0, score=t2 - t1, decide=t3 - t2)
                    return assemble_output(frame, x, decided, spec, engine, [])

                def on_spark(
                    frame: pd.DataFrame = frame, spark_parts: dict[str, float] = spark_parts
                ) -> pd.DataFrame:
                    t0 = time.perf_counter()
                    x = trainer.features(frame)
                    spark_parts["features"] = time.perf_counter() - t0
                    decided = decide_on_spark(
                        x, stored_frame(frame, contract), spec, native, onnx_bytes,
                        engine, args.master, spark=spark, timings=spark_parts,
                    )  # fmt: skip
                    return assemble_output(frame, x, decided, spec, engine, [])

                single_s, one = _timed_write(single, Path(tmp, "single.parquet"))
                say(f"{rows} rows single process: {single_s:.1f}s")
                spark_s, other = _timed_write(on_spark, Path(tmp, "spark.parquet"))
                say(f"{rows} rows spark: {spark_s:.1f}s")
                figures[rows] = {
                    "single_process_rows_per_s": rows / single_s,
                    "spark_rows_per_s": rows / spark_s,
                    "spark_rows_per_s_incl_start": rows / (spark_s + start_s),
                    "single_process_s": single_s,
                    "spark_s": spark_s,
                    "max_abs_score_diff": float((one["score"] - other["score"]).abs().max()),
                    "label_mismatches": int((one["label"] != other["label"]).sum()),
                    "single_process_parts_s": single_parts,
                    "spark_parts_s": spark_parts,
                }
                say(f"{rows} rows where the time went (s): single {_fmt(single_parts)}; "
                    f"spark {_fmt(spark_parts)}")  # fmt: skip
                del frame, one, other
        finally:
            spark.stop()
    out = {
        "model": contract.registered_model_name,
        "engine": engine,
        "master": args.master,
        "spark_session_start_s": start_s,
        "load_average": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "sizes": {str(k): v for k, v in figures.items()},
        "crossover": _crossover(figures, start_s),
    }
    print(render(out), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        say(f"figures written to {args.json}")
    return out


def _fmt(parts: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in parts.items())


def _timed_write(fn: Callable[[], pd.DataFrame], path: Path) -> tuple[float, pd.DataFrame]:
    """Wall time of ``fn`` plus writing its output as predict-batch does (one parquet file)."""
    started = time.perf_counter()
    out = fn()
    out.to_parquet(path, index=False)
    return time.perf_counter() - started, out


def render(out: dict[str, Any]) -> str:
    """The side-by-side table: rows/s per size, Spark vs single, agreement, crossover."""
    lines = [
        f"batch benchmark: {out['model']}, engine {out['engine']}, Spark {out['master']} "
        f"(session start {out['spark_session_start_s']:.1f}s), {out['cpus']} CPUs, "
        f"load average {', '.join(f'{v:.1f}' for v in out['load_average'])}",
        f"{'rows':>12} {'single rows/s':>14} {'spark rows/s':>13} {'incl. start':>12} "
        f"{'spark/single':>12} {'max |dp|':>9} {'label diffs':>11}",
    ]
    for rows, f in out["sizes"].items():
        lines.append(
            f"{int(rows):>12,} {f['single_process_rows_per_s']:>14,.0f} "
            f"{f['spark_rows_per_s']:>13,.0f} {f['spark_rows_per_s_incl_start']:>12,.0f} "
            f"{f['spark_rows_per_s'] / f['single_process_rows_per_s']:>11.2f}x "
            f"{f['max_abs_score_diff']:>9.1e} {f['label_mismatches']:>11}"
        )
    for rows, f in out["sizes"].items():
        lines.append(f"  {int(rows):,} rows, where the time went (s): single process "
                     f"{_fmt(f['single_process_parts_s'])}; spark {_fmt(f['spark_parts_s'])}"
                     " (the rest: assemble + write the output file)")  # fmt: skip
    cross = out["crossover"]
    lines.append(f"crossover: {cross['rows']} rows ({cross['how']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
