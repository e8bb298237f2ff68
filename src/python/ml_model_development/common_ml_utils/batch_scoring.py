"""Batch prediction from the offline store with the registered champion.

Scores entity rows (join key + ``event_timestamp`` + request features) joined with the
feature service, and writes one row per entity with the probability, the model version, the
engine and the scoring time. The engine is chosen per model: native XGBoost beats ONNX
Runtime 3.5-5x on large batches while ORT beats native LightGBM ~1.7x (stack-facts), so
``auto`` times both on a sample of the batch and uses the faster one (small batches use the
model's ``preferred_batch_engine``).

With ``rules`` (a Label Engine rules file, ``mlops_common/label_engine/rules/<use_case>.yaml``)
every scored row also gets the business decision: ``label``, the ``fired_rules`` and the
``rules_version``. The rules see the row's model features (request, stored and on-demand
values, e.g. ``amount``, ``is_foreign``, ``plan``) plus ``score`` — the same attributes the
online services pass — so batch and online decisions agree. The output also keeps the model
features and any extra entity columns (e.g. ``transaction_id``) for drift checks and joins,
and is written atomically (temp file + rename): a re-run replaces it whole.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.data_loading import (
    load_training_frame,
    read_entity_frame,
)
from ml_model_development.common_ml_utils.onnx_export import OnnxScorer
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH
from mlops_common.label_engine import load_rules
from mlops_common.progress import Progress

CHUNK_ROWS = 100_000
SAMPLE_ROWS = 20_000


@dataclass
class BatchResult:
    output_path: str
    rows: int
    model_version: str
    engine: str
    rules_version: str | None = None
    labels: dict[str, int] | None = None


def _time(fn, frame: pd.DataFrame) -> float:
    started = time.perf_counter()
    fn(frame)
    return time.perf_counter() - started


def score_batch(
    trainer: BaseModelTrainer,
    entities_path: Path,
    output_path: Path,
    engine: str | None = None,
    alias: str | None = None,
    rules: Path | None = None,
) -> BatchResult:
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

    native = mlflow.sklearn.load_model(f"models:/{trainer.name}@{alias}")
    onnx_path = mlflow.artifacts.download_artifacts(
        run_id=version.run_id, artifact_path=ONNX_ARTIFACT_PATH
    )
    onnx = OnnxScorer(Path(onnx_path).read_bytes(), c)
    scorers = {
        "native": lambda f: native.predict_proba(f)[:, 1],
        "onnx": onnx.positive_proba,
    }
    engine = engine or trainer.settings.batch_engine
    if engine == "auto" and len(x) < SAMPLE_ROWS:
        engine = trainer.preferred_batch_engine  # too few rows for a meaningful timing
    if engine == "auto":
        sample = x.iloc[:SAMPLE_ROWS]
        timings = {name: min(_time(fn, sample) for _ in range(2)) for name, fn in scorers.items()}
        engine = min(timings, key=timings.get)
        trainer.say(
            "engine timings on sample: "
            + ", ".join(f"{k}={v * 1000:.1f}ms" for k, v in timings.items())
            + f" -> {engine}"
        )
    score = scorers[engine]
    progress = Progress(f"{c.use_case} batch scoring", total=len(x), stream=trainer.stream)
    parts = []
    for start in range(0, len(x), CHUNK_ROWS):
        chunk = x.iloc[start : start + CHUNK_ROWS]
        parts.append(np.asarray(score(chunk), dtype=np.float64))
        progress.advance(len(chunk))
    progress.finish()
    passthrough = [
        col
        for col in entities.columns
        if col not in (c.entity_join_key, "event_timestamp", c.label, *c.feature_names)
        and col in frame.columns
    ]
    out = pd.DataFrame(
        {
            c.entity_join_key: frame[c.entity_join_key].to_numpy(),
            "event_timestamp": frame["event_timestamp"].to_numpy(),
            **{col: frame[col].to_numpy() for col in passthrough},
            **{name: x[name].to_numpy() for name in c.feature_names},
            "score": np.concatenate(parts) if parts else np.array([]),
        }
    )
    out["prediction"] = (out["score"] >= trainer.settings.decision_threshold).astype(int)
    out["registered_model_name"] = trainer.name
    out["model_version"] = str(version.version)
    out["engine"] = engine
    out["scored_at"] = datetime.now(UTC)
    counts = None
    if ruleset is not None:
        attributes = out[[*c.feature_names, "score"]].to_dict("records")
        decisions = [ruleset.decide(row) for row in attributes]
        out["label"] = [d.label for d in decisions]
        out["fired_rules"] = [",".join(d.fired) for d in decisions]
        out["rules_version"] = ruleset.version
        counts = {k: int(v) for k, v in out["label"].value_counts().sort_index().items()}
        trainer.say(f"label engine {ruleset.name} {ruleset.version}: {counts}")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path.with_name(f".{output_path.name}.tmp")
    out.to_parquet(tmp, index=False)
    os.replace(tmp, output_path)
    return BatchResult(
        str(output_path),
        len(out),
        str(version.version),
        engine,
        ruleset.version if ruleset else None,
        counts,
    )
