"""Benchmark (not a test): native vs ONNX Runtime scoring and platform vs bare training.

    ./pants run src/python/ml_model_development/benchmarks:training-benchmark -- --rows 1000000

For each model (fraud XGBoost, churn LightGBM), in one run:

1. **training wall time** on ``--rows`` synthetic rows through the platform (the trainer's
   full ``run()``: validate, preprocess, split, fit, evaluate, ONNX export + parity gate,
   MLflow logging and registration into a temporary SQLite MLflow) vs bare
   ``xgboost.train`` / ``lightgbm.train`` with the same hyperparameters on the same encoded
   train matrix (goal: platform ≤ 2x bare);
2. **single-row latency** p50/p99 over ``--latency-calls`` calls, like with like
   (:mod:`single_row`): the same prepared one-row dict on every side, input conversion inside
   the clock, ORT intra-op threads = booster ``nthread`` = ``--threads``. Goal: the ONNX graph
   ≥ 10x faster than the native booster's ``predict_proba`` on the same row. The booster's
   core call (``inplace_predict`` / ``Booster.predict``) and the whole sklearn Pipeline on a
   1-row DataFrame are printed as information only. A missed goal is printed as MISSED with
   where each side's time goes (conversion vs engine call, the graph's inputs and nodes);
3. **batch throughput** on ``--rows`` rows: native vs ONNX through ``batch_scoring``'s chunked
   scorer, plus what ``auto`` picks and its throughput (selection cost included) as a share
   of the faster engine (goal ≥ 90%), best of ``--batch-repeats`` alternating rounds. Batch
   threads are the production ones: native ``n_jobs`` from the settings, ORT's default (one
   per physical core); both are printed.

The models are loaded back from the registry, as batch scoring and serving do. The training
data is a seeded synthetic frame in the contract's schema (``mlops_common.contracts``), fed
through a subclass of each model's trainer whose ``load()`` returns it, so no Feast is
needed. Progress goes to stderr; the table goes to stdout; ``--json PATH`` writes the figures
(per model ``fraud``/``churn``: ``onnx_row_us``, ``booster_row_us``, ``pipeline_row_us``,
``batch_auto_share_of_best``, ``training_overhead_ratio`` and more, see :mod:`training_report`).
Numbers on a shared machine are noisy: compare only numbers from the same run.

This module is the command line; the data is :mod:`synthetic_data`, the bare baselines
:mod:`bare_baselines`, one model's measurements :mod:`model_benchmark`, the figures
:mod:`training_report`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

import mlflow

from ml_model_development.benchmarks.model_benchmark import benchmark_model
from ml_model_development.benchmarks.training_report import ModelResult, render, to_json
from ml_model_development.common_ml_utils import mlflow_utils
from mlops_common.settings import PlatformSettings


def run(
    argv: list[str] | None = None,
    stream: TextIO | None = None,
    failures: dict[str, str] | None = None,
) -> list[ModelResult]:
    """Parse ``argv``, benchmark each model, print the table to stdout; return the numbers.

    A model whose run raises is reported as FAILED (in the table and the JSON, and in
    ``failures`` when given) and the other models still run.
    """
    parser = argparse.ArgumentParser(prog="training-benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to train and score")
    parser.add_argument("--latency-calls", type=int, default=2_000)
    parser.add_argument(
        "--batch-repeats", type=int, default=2, help="alternating rounds of the batch timings"
    )
    parser.add_argument("--models", default="fraud,churn", help="comma-separated")
    parser.add_argument(
        "--threads", type=int, default=1, help="single row: ORT intra-op threads = booster nthread"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--home", type=Path, default=None, help="MLOPS_HOME for MLflow (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    stream = stream if stream is not None else sys.stderr
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "1")

    results: list[ModelResult] = []
    failures = failures if failures is not None else {}
    with tempfile.TemporaryDirectory(prefix="training-benchmark-") as tmp:
        home = args.home or Path(tmp)
        platform = PlatformSettings(home=home, mlflow_tracking_uri=None)
        # A deployed platform's tracking DB exists already: create (migrate) it before the
        # clock starts, or the first model alone would pay MLflow's one-off schema setup.
        started = time.perf_counter()
        uri = mlflow_utils.configure(platform)
        mlflow.search_experiments()
        print(
            f"[benchmark] MLflow {uri} created in {time.perf_counter() - started:.1f}s "
            "(one-off, not counted)",
            file=stream,
            flush=True,
        )
        for kind in [m.strip() for m in args.models.split(",") if m.strip()]:
            try:
                results.append(
                    benchmark_model(
                        kind,
                        args.rows,
                        args.latency_calls,
                        max(args.batch_repeats, 1),
                        platform,
                        stream,
                        threads=args.threads,
                    )
                )
            except Exception as exc:  # e.g. the parity gate refusing the export
                # One model's failure must not hide the other's numbers: report it by name.
                failures[kind] = f"{type(exc).__name__}: {exc}"
                print(f"[benchmark {kind}] FAILED: {failures[kind]}", file=stream, flush=True)
    table = render(results)
    print(table, flush=True)
    for kind, reason in failures.items():
        print(f"{kind}: FAILED, no figures: {reason}", flush=True)
    if args.json:
        figures = to_json(results) | {k: {"error": v} for k, v in failures.items()}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        print(f"[benchmark] figures written to {args.json}", file=stream, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    failures: dict[str, str] = {}
    run(argv, failures=failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
