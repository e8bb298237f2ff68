"""One model's benchmark: platform vs bare training, single-row latency, batch throughput.

The three measurements of :mod:`training_benchmark`'s docstring, for one model kind
(``fraud`` or ``churn``), returned as a :class:`ModelResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

import mlflow
import numpy as np

from ml_model_development.benchmarks import single_row
from ml_model_development.benchmarks.bare_baselines import bare_predict, bare_train
from ml_model_development.benchmarks.synthetic_data import (
    BENCH_TRAINERS,
    POSITIVE_RATE,
    SETTINGS,
    synthetic_frame,
)
from ml_model_development.benchmarks.training_report import ModelResult
from ml_model_development.common_ml_utils import batch_scoring, mlflow_utils
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH
from mlops_common.progress import Progress
from mlops_common.settings import PlatformSettings

R = TypeVar("R")


def timed(fn: Callable[..., R], *args: Any) -> tuple[float, R]:
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
