"""Champion/challenger promotion by registry aliases.

``evaluate`` scores the ``challenger`` and the current ``champion`` on the same holdout (the
deterministic split of the current training data) and moves ``champion`` only when the
challenger is better by ``promotion_margin`` on ``promotion_metric``. The champion's ONNX
graph and signature are then copied to ``$MLOPS_HOME/models/<name>/champion/`` so consumers
without MLflow (services) can load it from disk.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow

from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.evaluation_utils import classification_metrics
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH, SIGNATURE_ARTIFACT_PATH


class PromotionError(RuntimeError):
    """Promotion cannot run (e.g. no challenger registered yet)."""


@dataclass
class PromotionDecision:
    registered_model_name: str
    metric: str
    challenger_version: str
    champion_version: str | None
    challenger_score: float
    champion_score: float | None
    margin: float
    promoted: bool
    reason: str
    champion_dir: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def champion_dir(trainer: BaseModelTrainer) -> Path:
    return trainer.platform.home / "models" / trainer.name / trainer.contract.champion_alias


def publish_champion(trainer: BaseModelTrainer, version: str, run_id: str) -> Path:
    """Copy the champion's ONNX graph + signature to a stable folder for services."""
    target = champion_dir(trainer)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for artifact in (ONNX_ARTIFACT_PATH, SIGNATURE_ARTIFACT_PATH):
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact)
        shutil.copy(local, staging / Path(artifact).name)
    (staging / "version.json").write_text(
        json.dumps({"registered_model_name": trainer.name, "version": version, "run_id": run_id})
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def evaluate_and_promote(trainer: BaseModelTrainer) -> PromotionDecision:
    mlflow_utils.configure(trainer.platform)
    name, c = trainer.name, trainer.contract
    challenger = mlflow_utils.version_for_alias(name, c.challenger_alias)
    if challenger is None:
        raise PromotionError(f"no '{c.challenger_alias}' version of {name}; train first")
    champion = mlflow_utils.version_for_alias(name, c.champion_alias)
    metric, margin = trainer.settings.promotion_metric, trainer.settings.promotion_margin

    holdout = trainer.split(trainer.load_validated()).holdout
    x, y = trainer.features(holdout), trainer.labels(holdout)

    def score(alias: str) -> float:
        model = mlflow.sklearn.load_model(f"models:/{name}@{alias}")
        proba = model.predict_proba(x)[:, 1]
        return classification_metrics(y, proba, trainer.settings.decision_threshold)[metric]

    challenger_score = score(c.challenger_alias)
    trainer.say(f"challenger v{challenger.version} {metric}={challenger_score:.4f}")
    champion_score = None
    if champion is None:
        promoted, reason = True, "no champion yet"
    elif str(champion.version) == str(challenger.version):
        promoted, reason = False, "challenger is already champion"
        champion_score = challenger_score
    else:
        champion_score = score(c.champion_alias)
        trainer.say(f"champion v{champion.version} {metric}={champion_score:.4f}")
        promoted = challenger_score >= champion_score + margin
        reason = (
            f"challenger {metric} {challenger_score:.4f} "
            f"{'>=' if promoted else '<'} champion {champion_score:.4f} + margin {margin}"
        )
    decision = PromotionDecision(
        registered_model_name=name,
        metric=metric,
        challenger_version=str(challenger.version),
        champion_version=None if champion is None else str(champion.version),
        challenger_score=challenger_score,
        champion_score=champion_score,
        margin=margin,
        promoted=promoted,
        reason=reason,
    )
    if promoted:
        mlflow_utils.set_alias(name, c.champion_alias, str(challenger.version))
        decision.champion_dir = str(
            publish_champion(trainer, str(challenger.version), challenger.run_id)
        )
        trainer.say(f"'{c.champion_alias}' -> v{challenger.version} ({reason})")
    else:
        trainer.say(f"'{c.champion_alias}' unchanged ({reason})")
    return decision
