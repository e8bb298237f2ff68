"""Batch prediction from the offline store with the registered champion.

Scores entity rows (join key + ``event_timestamp`` + request features) joined with the
feature service, and writes one row per entity with the probability, the model version, the
engine and the scoring time. The engine is chosen per model: native XGBoost beats ONNX
Runtime 3.5-5x on large batches while ORT beats native LightGBM ~1.7x (stack-facts), so
``auto`` times both on a sample of the batch and uses the faster one, reusing the sample's
scores (batches under ``AUTO_MIN_ROWS`` use the model's ``preferred_batch_engine``).

With ``rules`` (a Label Engine rules file, ``mlops_common/label_engine/rules/<use_case>.yaml``)
every scored row also gets the business decision: ``label``, the ``fired_rules`` and the
``rules_version``. The rules see the row's model features (request, stored and on-demand
values, e.g. ``amount``, ``is_foreign``, ``plan``), ``score`` and what the read was like —
``degraded``, ``missing_features``, ``missing_count``, ``entity_known``, computed from the
offline row's stored features by the same :func:`~mlops_common.label_engine.context.read_context`
the online services use — so batch and online decisions agree (an unknown card holder's large
payment is reviewed in both). Those four columns are always written (``missing_features``
comma-separated, like ``fired_rules``), so ``label-engine dry-run`` can replay the output.
The output also keeps the model features and any extra entity columns (e.g.
``transaction_id``) for drift checks and joins, and is written atomically (temp file +
rename): a re-run replaces it whole.

Given a ``partition_date`` on the servers profile, the rows are also published to
PostgreSQL (``mlops_predictions.<registered model name>``, that day's rows replaced in one
transaction; see :mod:`prediction_store`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.batch_output import (
    OutputSpec,
    assemble_output,
    decide_columns,
    stored_frame,
)
from ml_model_development.common_ml_utils.batch_runtime import choose_runtime, spark_runtime
from ml_model_development.common_ml_utils.data_loading import (
    load_training_frame,
    read_entity_frame,
)
from ml_model_development.common_ml_utils.onnx_export import OnnxScorer
from ml_model_development.common_ml_utils.prediction_store import publish_partition
from mlops_common.atomic_files import atomic_path
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH
from mlops_common.label_engine import load_rules
from mlops_common.progress import Progress
from mlops_common.settings import Profile

CHUNK_ROWS = 100_000
# auto: time every engine on SAMPLE_ROWS rows (SAMPLE_ROUNDS alternating slices), only for
# batches of AUTO_MIN_ROWS or more. Slices must be large: the native pipeline has a fixed
# per-call cost (ColumnTransformer, DMatrix) that ONNX Runtime has not, and 2.5k-row slices
# made native XGBoost look 1.3x faster when it scores 1M rows 2.7x faster (100k-row chunks).
SAMPLE_ROWS = 20_000
SAMPLE_ROUNDS = 2
# auto leaves the preferred engine only for one at least this much faster on the sample
SWITCH_MARGIN = 1.25
AUTO_MIN_ROWS = 500_000
WARMUP_ROWS = 64


@dataclass
class BatchResult:
    output_path: str
    rows: int
    model_version: str
    engine: str
    rules_version: str | None = None
    labels: dict[str, int] | None = None
    table: str | None = None  # the PostgreSQL table the rows were also published to
    runtime: str = "single"  # single process or spark (see batch_runtime)


Scorer = Callable[[pd.DataFrame], np.ndarray]


def engine_scorers(
    native: Pipeline, onnx_bytes: bytes, contract: ModelContract, onnx_threads: int = 0
) -> dict[str, Scorer]:
    """The batch engines: the native sklearn pipeline and ONNX Runtime on the exported graph.

    ``onnx_threads`` 0 is ORT's default (all cores); Spark tasks pass 1 (one task per core).
    """
    onnx = OnnxScorer(onnx_bytes, contract, threads=onnx_threads)
    return {
        "native": lambda f: native.predict_proba(f)[:, 1],
        "onnx": onnx.positive_proba,
    }


def score_with_engine(
    scorers: dict[str, Scorer],
    x: pd.DataFrame,
    engine: str,
    preferred: str,
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
) -> tuple[str, np.ndarray]:
    """Score ``x`` with ``engine``, or with the faster engine when it is ``"auto"``.

    ``auto`` scores the first ``SAMPLE_ROWS`` rows with every engine (after a tiny warm-up
    call, in alternating slices), keeps the fastest engine's scores for those rows and scores
    the rest with it, so selection wastes only the slower engines' time on the sample.
    Batches under ``AUTO_MIN_ROWS`` (where the sample would be more than ~5% of the work) use
    the model's ``preferred`` engine without timing.
    """
    if engine == "auto" and len(x) < AUTO_MIN_ROWS:
        engine = preferred
    if engine != "auto":
        return engine, score_frame(scorers[engine], x, progress)
    sample = x.iloc[:SAMPLE_ROWS]
    names = list(scorers)
    for name in names:
        scorers[name](x.iloc[:WARMUP_ROWS])  # first-call allocations are not the engine's speed
    # Alternate the engines over SAMPLE_ROUNDS slices of the sample and keep each engine's
    # best slice time: a burst of load from other processes then slows one slice, not one
    # engine's whole measurement.
    timings = dict.fromkeys(names, 0.0)
    best = dict.fromkeys(names, float("inf"))
    sample_scores: dict[str, list[np.ndarray]] = {name: [] for name in names}
    bounds = np.linspace(0, len(sample), SAMPLE_ROUNDS + 1).astype(int)
    for round_, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        part = sample.iloc[lo:hi]
        for name in names if round_ % 2 == 0 else reversed(names):
            started = time.perf_counter()
            sample_scores[name].append(np.asarray(scorers[name](part), dtype=np.float64))
            elapsed = time.perf_counter() - started
            timings[name] += elapsed
            best[name] = min(best[name], elapsed / max(hi - lo, 1))
    # The model's preferred engine (measured offline on full batches) is kept unless another
    # is clearly faster on the sample: under a shared machine's load, a 20k-row sample could
    # not tell LightGBM's engines apart (1.05-1.25x) while 1M rows showed ORT 1.3-1.8x ahead.
    chosen = preferred if preferred in best else names[0]
    fastest = min(names, key=best.__getitem__)
    if best[fastest] * SWITCH_MARGIN < best[chosen]:
        chosen = fastest
    if say is not None:
        say(
            f"engine timings on {len(sample)} rows: "
            + ", ".join(f"{k}={v * 1000:.1f}ms" for k, v in timings.items())
            + f" -> {chosen}"
        )
    if progress is not None:
        progress.advance(len(sample))
    rest = score_frame(scorers[chosen], x.iloc[len(sample) :], progress)
    return chosen, np.concatenate([*sample_scores[chosen], rest])


def score_frame(score: Scorer, x: pd.DataFrame, progress: Progress | None = None) -> np.ndarray:
    """Positive-class probabilities for ``x``, in chunks of ``CHUNK_ROWS`` (bounded memory)."""
    parts = []
    for start in range(0, len(x), CHUNK_ROWS):
        chunk = x.iloc[start : start + CHUNK_ROWS]
        parts.append(np.asarray(score(chunk), dtype=np.float64))
        if progress is not None:
            progress.advance(len(chunk))
    if progress is not None:
        progress.finish()
    return np.concatenate(parts) if parts else np.array([], dtype=np.float64)


def score_batch(
    trainer: BaseModelTrainer,
    entities_path: Path,
    output_path: Path,
    engine: str | None = None,
    alias: str | None = None,
    rules: Path | None = None,
    partition_date: date | None = None,
    runtime: str | None = None,
) -> BatchResult:
    """Score, label, write ``output_path`` atomically and (servers + date) publish the day.

    ``runtime`` is ``single``, ``spark`` or ``auto`` (default ``TRAINING_BATCH_RUNTIME``):
    see :mod:`batch_runtime`. Both runtimes run :func:`decide_columns` on the same model
    bytes and rules, and write the same single parquet file.
    """
    mlflow_utils.configure(trainer.platform)
    c = trainer.contract
    alias = alias or c.champion_alias
    version = mlflow_utils.version_for_alias(trainer.name, alias)
    if version is None:
        raise RuntimeError(f"no '{alias}' version of {trainer.name}; train and promote first")
    ruleset = load_rules(rules) if rules else None  # a bad rules file fails before scoring
    entities = read_entity_frame(entities_path, c, require_label=False)
    repo = trainer.settings.resolve_feature_repo(trainer.platform)
    frame = load_training_frame(repo, entities, c)
    x = trainer.features(frame)

    native = mlflow.sklearn.load_model(mlflow_utils.native_model_uri(trainer.name, alias=alias))
    onnx_path = mlflow.artifacts.download_artifacts(
        run_id=version.run_id, artifact_path=ONNX_ARTIFACT_PATH
    )
    onnx_bytes = Path(onnx_path).read_bytes()
    spec = OutputSpec(
        contract=c,
        registered_model_name=trainer.name,
        model_version=str(version.version),
        decision_threshold=trainer.settings.decision_threshold,
        scored_at=datetime.now(UTC),
        ruleset=ruleset,
    )
    requested = engine or trainer.settings.batch_engine
    chosen_runtime = choose_runtime(runtime, len(x), trainer.settings, trainer.say)
    if chosen_runtime == "spark":
        # the engine is fixed on the driver: partitions are far below AUTO_MIN_ROWS
        engine = trainer.preferred_batch_engine if requested == "auto" else requested
        decided = spark_runtime().decide_on_spark(
            x, stored_frame(frame, c), spec, native, onnx_bytes, engine,
            trainer.settings.spark_master, say=trainer.say,
        )  # fmt: skip
    else:
        scorers = engine_scorers(native, onnx_bytes, c)
        progress = Progress(f"{c.use_case} batch scoring", total=len(x), stream=trainer.stream)
        engine, scores = score_with_engine(
            scorers, x, requested, trainer.preferred_batch_engine,
            progress=progress, say=trainer.say,
        )  # fmt: skip
        decided = decide_columns(x, stored_frame(frame, c), scores, spec)
    passthrough = [
        col
        for col in entities.columns
        if col not in (c.entity_join_key, "event_timestamp", c.label, *c.feature_names)
        and col in frame.columns
    ]
    out = assemble_output(frame, x, decided, spec, engine, passthrough)
    counts = None
    if ruleset is not None:
        counts = {k: int(v) for k, v in out["label"].value_counts().sort_index().items()}
        trainer.say(f"label engine {ruleset.name} {ruleset.version}: {counts}")
    with atomic_path(output_path) as tmp:
        out.to_parquet(tmp, index=False)
    table = None
    if partition_date is not None and trainer.platform.profile == Profile.SERVERS:
        published = publish_partition(
            out, trainer.platform.postgres_dsn, c.registered_model_name, partition_date
        )
        table = published.table
        trainer.say(
            f"published {published.rows} rows to {table} for {published.partition_date} "
            f"(replaced {published.replaced_rows})"
        )
    return BatchResult(
        str(output_path),
        len(out),
        str(version.version),
        engine,
        ruleset.version if ruleset else None,
        counts,
        table,
        chosen_runtime,
    )
