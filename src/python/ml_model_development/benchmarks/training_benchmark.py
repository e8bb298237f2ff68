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
import numpy as np
import pandas as pd

from ml_model_development.benchmarks import single_row
from ml_model_development.benchmarks.training_report import ModelResult, render, to_json
from ml_model_development.common_ml_utils import batch_scoring, mlflow_utils
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH
from mlops_common.progress import Progress
from mlops_common.settings import PlatformSettings


# -- synthetic training data in the contract's schema -----------------------------------------
def synthetic_frame(
    contract: ModelContract, rows: int, seed: int, positive_rate: float = 0.1
) -> pd.DataFrame:
    """Seeded frame with every contract feature, the label, join key and event time.

    Numeric features have ~2% missing values; the label depends on several features
    (non-linearly, plus a category effect) so the boosters have something to learn.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            contract.entity_join_key: rng.integers(1, max(rows // 5, 2), rows).astype(np.int64),
            "event_timestamp": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 90 * 86_400, rows), unit="s"),
        }
    )
    logit = np.zeros(rows)
    for i, spec in enumerate(contract.features):
        if spec.dtype == "string":
            categories = np.array([f"{spec.name[:3]}_{k}" for k in range(12)])
            codes = rng.integers(0, len(categories), rows)
            frame[spec.name] = categories[codes]
            logit += rng.normal(0.0, 0.6, len(categories))[codes]
            continue
        if spec.dtype == "int":
            values = rng.integers(0, 60, rows).astype(np.float64)
        else:
            values = rng.gamma(2.0, 40.0, rows)
        z = (values - values.mean()) / (values.std() or 1.0)
        logit += rng.normal(0.0, 0.5) * z + (0.4 * np.sin(2 * z) if i % 3 == 0 else 0.0)
        # Like Feast: integer features with nulls come back as float64 with NaN.
        values[rng.random(rows) < 0.02] = np.nan
        frame[spec.name] = values
    intercept = np.quantile(logit, 1.0 - positive_rate)
    noise = rng.logistic(0.0, 1.0, rows)
    frame[contract.label] = (logit - intercept + noise > 0).astype(np.int64)
    return frame


class SyntheticFrameMixin:
    """Trainer mixin: ``load()`` returns a frame given up front instead of the feature service."""

    def __init__(self, frame: pd.DataFrame, **kwargs) -> None:
        super().__init__(**kwargs)
        self._frame = frame

    def load(self) -> pd.DataFrame:
        return self._frame


class BenchFraudTrainer(SyntheticFrameMixin, FraudDetectionTrainer):
    """The fraud trainer, unchanged except for where its training frame comes from."""


class BenchChurnTrainer(SyntheticFrameMixin, CustomerChurnTrainer):
    """The churn trainer, unchanged except for where its training frame comes from."""


BENCH_TRAINERS: dict[str, type[BaseModelTrainer]] = {
    "fraud": BenchFraudTrainer,
    "churn": BenchChurnTrainer,
}
SETTINGS = {"fraud": FraudTrainingSettings, "churn": ChurnTrainingSettings}
POSITIVE_RATE = {"fraud": 0.05, "churn": 0.2}


# -- bare library baselines -------------------------------------------------------------------
def bare_train(kind: str, hp: dict, seed: int, x: np.ndarray, y: np.ndarray):
    """``xgboost.train`` / ``lightgbm.train`` with the trainer's hyperparameters.

    Timed by the caller: building the library's matrix (DMatrix / Dataset) plus training.
    """
    hp = dict(hp)
    rounds = hp.pop("n_estimators")
    if kind == "fraud":
        import xgboost as xgb

        params = {
            "objective": "binary:logistic",
            "eval_metric": "aucpr",
            "tree_method": "hist",
            "max_depth": hp["max_depth"],
            "eta": hp["learning_rate"],
            "subsample": hp["subsample"],
            "colsample_bytree": hp["colsample_bytree"],
            "min_child_weight": hp["min_child_weight"],
            "lambda": hp["reg_lambda"],
            "nthread": hp["n_jobs"],
            "seed": seed,
        }
        return xgb.train(params, xgb.DMatrix(x, label=y, nthread=hp["n_jobs"]), rounds)
    import lightgbm as lgb

    # LightGBM accepts the sklearn names as aliases (num_leaves, min_child_samples, ...).
    params = {**hp, "objective": "binary", "verbose": -1, "seed": seed}
    return lgb.train(params, lgb.Dataset(x, label=y), num_boost_round=rounds)


def bare_predict(kind: str, booster, x: np.ndarray) -> np.ndarray:
    if kind == "fraud":
        import xgboost as xgb

        return booster.predict(xgb.DMatrix(x))
    return booster.predict(x)


# -- measurements -----------------------------------------------------------------------------
def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - started, out


def benchmark_model(
    kind: str,
    rows: int,
    latency_calls: int,
    batch_repeats: int,
    platform: PlatformSettings,
    stream: TextIO,
    seed: int = 7,
    threads: int = 1,
) -> ModelResult:
    def say(message: str) -> None:
        print(f"[benchmark {kind}] {message}", file=stream, flush=True)

    trainer_cls = BENCH_TRAINERS[kind]
    contract = trainer_cls.contract
    settings = SETTINGS[kind]()
    say(f"generating {rows} synthetic rows in the {contract.registered_model_name} schema")
    frame = synthetic_frame(contract, rows, seed, POSITIVE_RATE[kind])

    # 1. training through the platform (temp SQLite MLflow), then bare on the same matrix.
    trainer = trainer_cls(frame, settings=settings, platform=platform, stream=stream)
    say("platform training: trainer.run() ...")
    platform_s, result = timed(trainer.run)
    steps = dict(result.timings_s)
    say(f"platform training done in {platform_s:.1f}s: {steps}")

    split = trainer.split(frame)  # deterministic: the same split run() used
    encoder = trainer.build_preprocessor()
    x_train = encoder.fit_transform(trainer.features(split.train))
    y_train = trainer.labels(split.train)
    hp = settings.hyperparameters.model_dump()
    say(f"bare {'xgboost' if kind == 'fraud' else 'lightgbm'}.train on {x_train.shape} ...")
    bare_s, booster = timed(bare_train, kind, hp, settings.random_seed, x_train, y_train)
    say(f"bare training done in {bare_s:.1f}s")

    # the models as batch scoring and serving get them: from the registry
    native = mlflow.sklearn.load_model(
        mlflow_utils.native_model_uri(trainer.name, version=result.model_version)
    )
    onnx_bytes = Path(
        mlflow.artifacts.download_artifacts(run_id=result.run_id, artifact_path=ONNX_ARTIFACT_PATH)
    ).read_bytes()
    holdout = trainer.features(split.holdout.iloc[:10_000])
    same = np.max(
        np.abs(
            native.predict_proba(holdout)[:, 1]
            - bare_predict(kind, booster, native[:-1].transform(holdout))
        )
    )
    say(f"bare vs platform model: max |diff p| {same:.2e} on {len(holdout)} holdout rows")

    out = ModelResult(
        model=contract.registered_model_name,
        rows=rows,
        train_rows=len(split.train),
        platform_train_s=platform_s,
        bare_train_s=bare_s,
        steps_s=steps,
        bare_vs_platform_max_abs_diff=float(same),
        roc_auc=result.metrics["roc_auc"],
        n_jobs=hp["n_jobs"],
    )
    del x_train, booster

    # 2. single-row latency, like with like (see single_row's docstring)
    say(f"single-row latency over {latency_calls} calls, {threads} thread(s) per engine ...")
    pool = trainer.features(split.holdout.iloc[: max(min(latency_calls, 5_000), 200)])
    out.single_row = single_row.measure(native, onnx_bytes, contract, pool, latency_calls, threads)
    say(
        "latency p50/p99 us: "
        + ", ".join(f"{k} {p50:.0f}/{p99:.0f}" for k, (p50, p99) in out.single_row.us.items())
        + f"; parts {out.single_row.parts_us}"
    )

    # 3. batch throughput through batch_scoring's scorers and chunking
    say(f"generating {rows} scoring rows ...")
    x = trainer.features(synthetic_frame(contract, rows, seed + 1, POSITIVE_RATE[kind]))
    scorers = batch_scoring.engine_scorers(native, onnx_bytes, contract)

    def auto(progress: Progress) -> None:
        engine, _ = batch_scoring.score_with_engine(
            scorers, x, "auto", trainer.preferred_batch_engine, progress=progress, say=say
        )
        out.auto_engines.append(engine)

    def fixed(engine: str):
        return lambda progress: batch_scoring.score_frame(scorers[engine], x, progress)

    jobs = {"native": fixed("native"), "onnx": fixed("onnx"), "auto": auto}
    # Rounds in alternating order, best time per engine: the load from other processes on a
    # shared machine changes within minutes and must not favour whichever engine ran last.
    for round_ in range(batch_repeats):
        for engine in list(jobs) if round_ % 2 == 0 else list(jobs)[::-1]:
            label = f"benchmark {kind} {engine} round {round_ + 1}/{batch_repeats}"
            progress = Progress(label, total=len(x), stream=stream, interval_s=5.0)
            elapsed, _ = timed(jobs[engine], progress)
            out.batch_runs_s.setdefault(engine, []).append(round(elapsed, 3))
            out.batch_s[engine] = min(out.batch_runs_s[engine])
    return out


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
