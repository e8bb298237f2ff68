"""Champion/challenger promotion by registry aliases, judged on rows neither model saw.

``evaluate_and_promote`` reads each version's holdout record (version tags written at
training: ``data_cutoff``, ``holdout_strategy``, …), scores the ``challenger`` and the
current ``champion`` only on today's rows neither was fitted on (``promotion_window.py``:
after both cutoffs, or the stable entity holdout group) and moves ``champion`` only when the
challenger is better by ``promotion_margin`` on ``promotion_metric``. Re-scoring a random
split of today's data instead would judge the champion on rows it trained on (ROC-AUC 0.9906
vs 0.9576 unseen on the quickstart data), a head start that keeps a stale champion in place.

The decision, its window and row counts go to the log, the JSON result and tags on the
challenger version and its run (``promotion_*``: when (``promotion_decided_at``), the metric
compared with both scores, the margin, the previous champion, the reason;
``promotion.champion`` = ISO time it became champion). With ``TRAINING_PROMOTION_POLICY=shadow``
a winner over an existing champion stays ``challenger`` in shadow instead
(``shadow_promotion.py``; ``promoted: false``, ``shadow: true``). The retraining report's history reads
these version tags (``ml_reporting_monitoring.reports.mlflow_queries``). The champion's ONNX graph and signature are
copied to ``$MLOPS_HOME/models/<name>/champion/`` so consumers without MLflow can load it.

The ``champion`` alias is the decision of record and moves before that copy is written. A
failure between the two (download error, full disk, killed worker; Airflow retries the task)
leaves a champion whose copy is stale or missing, so a re-run that finds the challenger already
champion checks the copy (``version.json``): when it holds another version it publishes it and
reports ``promoted: true``, so the DAG reloads the service and records the promotion. With the
copy up to date it is a no-op as before (``promoted: false``, "challenger is already champion").
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.evaluation_utils import classification_metrics
from ml_model_development.common_ml_utils.holdout import HoldoutRecord, iso
from ml_model_development.common_ml_utils.promotion_window import PromotionWindow, choose_window
from ml_model_development.common_ml_utils.shadow_promotion import enter_shadow, reject_offline
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH, SIGNATURE_ARTIFACT_PATH

PROMOTED_AT_TAG = "promotion.{alias}"  # ISO time; read by ml_reporting_monitoring reports


class PromotionError(RuntimeError):
    """Promotion cannot run (e.g. no challenger registered yet)."""


@dataclass
class PromotionDecision:
    registered_model_name: str
    metric: str
    challenger_version: str
    champion_version: str | None
    challenger_score: float | None
    champion_score: float | None
    margin: float
    promoted: bool
    reason: str
    champion_dir: str | None = None
    # the promotion window: rows neither model was fitted on (see promotion_window.py)
    window: str | None = None
    window_rule: str | None = None
    window_start: str | None = None
    window_end: str | None = None
    window_rows: int = 0
    window_positives: int = 0
    window_honest: bool = True
    challenger_cutoff: str | None = None
    champion_cutoff: str | None = None
    # TRAINING_PROMOTION_POLICY; shadow=True: won offline, left in shadow (shadow_promotion.py)
    policy: str = "offline"
    shadow: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def champion_dir(trainer: BaseModelTrainer) -> Path:
    return trainer.platform.home / "models" / trainer.name / trainer.contract.champion_alias


def published_version(trainer: BaseModelTrainer) -> str | None:
    """The version in the published champion folder; ``None`` when it is missing or unreadable.

    Read by a re-run of promotion to tell a finished promotion from one whose copy failed.
    """
    try:
        meta = json.loads((champion_dir(trainer) / "version.json").read_text())
        return str(meta["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def publish_champion(trainer: BaseModelTrainer, version: str, run_id: str) -> Path:
    """Copy the champion's ONNX graph + signature to a stable folder for services.

    Downloads go to a staging folder first, and the old folder is renamed aside before the new
    one is renamed in, so a failure before the swap leaves the old copy in place.
    """
    target = champion_dir(trainer)
    staging = target.with_name(target.name + ".tmp")
    previous = target.with_name(target.name + ".old")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for artifact in (ONNX_ARTIFACT_PATH, SIGNATURE_ARTIFACT_PATH):
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact)
        shutil.copy(local, staging / Path(artifact).name)
    (staging / "version.json").write_text(
        json.dumps({"registered_model_name": trainer.name, "version": version, "run_id": run_id})
    )
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
    return target


def _tag_decision(decision: PromotionDecision, run_id: str) -> None:
    """``promotion_*`` tags on the challenger version and its run: what was compared, where."""
    tags = {
        "promotion_window": decision.window,
        "promotion_window_rule": decision.window_rule,
        "promotion_window_start": decision.window_start,
        "promotion_window_end": decision.window_end,
        "promotion_rows": decision.window_rows,
        "promotion_positives": decision.window_positives,
        "promotion_window_honest": decision.window_honest,
        "promotion_metric": decision.metric,
        "promotion_challenger_score": decision.challenger_score,
        "promotion_champion_score": decision.champion_score,
        "promotion_champion_version": decision.champion_version,
        "promotion_margin": decision.margin,
        # the champion this decision replaced (promoted) or kept; "none" for the first one
        "promotion_previous_champion": decision.champion_version or "none",
        "promotion_promoted": decision.promoted,
        "promotion_reason": decision.reason,
        "promotion_decided_at": iso(datetime.now(UTC)),
    }
    client = MlflowClient()
    for key, value in tags.items():
        if value is not None:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            client.set_model_version_tag(
                decision.registered_model_name, decision.challenger_version, key, text
            )
            client.set_tag(run_id, key, text)
    if decision.promoted:
        client.set_model_version_tag(
            decision.registered_model_name,
            decision.challenger_version,
            PROMOTED_AT_TAG.format(alias="champion"),
            tags["promotion_decided_at"],
        )


def _already_champion(trainer: BaseModelTrainer, version: str) -> tuple[bool, str]:
    """(promoted, reason) when the challenger is the champion already.

    Either nothing new to promote (a no-op), or an earlier run moved the alias and stopped
    before publishing (the task is retried): then the copy is stale or missing, and this run
    completes that promotion so the published copy, the reload and the asset event follow.
    """
    published = published_version(trainer)
    if published == version:
        return False, "challenger is already champion"
    held = "no model" if published is None else f"v{published}"
    return True, (
        f"completing the promotion of v{version}: it is already champion but"
        f" {champion_dir(trainer)} held {held} (an earlier run stopped after moving the alias)"
    )


def _previous_champion(tags: dict[str, str], fallback: str) -> str | None:
    """The champion a completed promotion replaced, as its first run tagged it."""
    previous = tags.get("promotion_previous_champion", fallback)
    return None if previous == "none" else previous


def _compare(
    metric: str, margin: float, challenger: float, champion: float, window: PromotionWindow
) -> tuple[bool, str]:
    promoted = challenger >= champion + margin
    reason = (
        f"challenger {metric} {challenger:.4f} {'>=' if promoted else '<'} champion"
        f" {champion:.4f} + margin {margin} on {window.n_rows} rows ({window.rule})"
    )
    if not window.honest:
        reason += (
            f"; {window.description}, which favours the champion, so only a win promotes. To"
            " compare honestly, tag the champion version with data_cutoff=<ISO-8601 UTC time"
            " of its newest training row>"
        )
    return promoted, reason


def evaluate_and_promote(trainer: BaseModelTrainer) -> PromotionDecision:
    mlflow_utils.configure(trainer.platform)
    name, c = trainer.name, trainer.contract
    challenger = mlflow_utils.version_for_alias(name, c.challenger_alias)
    if challenger is None:
        raise PromotionError(f"no '{c.challenger_alias}' version of {name}; train first")
    champion = mlflow_utils.version_for_alias(name, c.champion_alias)
    metric, margin = trainer.settings.promotion_metric, trainer.settings.promotion_margin
    same = champion is not None and str(champion.version) == str(challenger.version)
    rival = None if champion is None or same else champion

    chal_record = HoldoutRecord.from_tags(challenger.tags)
    champ_record = None if rival is None else HoldoutRecord.from_tags(rival.tags)
    frame = trainer.load_validated()
    window = choose_window(
        frame, c.label, chal_record, champ_record, None if rival is None else str(rival.version)
    )
    trainer.say(f"promotion window: {window.summary()}")
    x, y = trainer.features(window.rows), trainer.labels(window.rows)

    def score(alias: str) -> float:
        # The native Pipeline linked to the version (the registered model is its ONNX graph,
        # equal within the parity gate); one booster call scores the whole window.
        model = mlflow.sklearn.load_model(mlflow_utils.native_model_uri(name, alias=alias))
        proba = model.predict_proba(x)[:, 1]
        return classification_metrics(y, proba, trainer.settings.decision_threshold)[metric]

    # No usable rows: no score for either side (the champion is then kept, below).
    challenger_score = score(c.challenger_alias) if window.usable else None
    shown = "n/a" if challenger_score is None else f"{challenger_score:.4f}"
    trainer.say(f"challenger v{challenger.version} {metric}={shown}")
    champion_score = None
    champion_version = None if champion is None else str(champion.version)
    if champion is None:
        promoted, reason = True, "no champion yet"
    elif same:
        champion_score = challenger_score
        promoted, reason = _already_champion(trainer, str(challenger.version))
        if promoted:  # report the champion the interrupted run replaced, as it tagged it
            champion_version = _previous_champion(challenger.tags, str(champion.version))
    elif challenger_score is None:
        promoted = False
        reason = (
            f"no usable rows neither model was fitted on ({window.summary()}), champion"
            f" v{champion.version} kept: retrain when newer data has arrived, or widen"
            " TRAINING_HOLDOUT_DAYS / TRAINING_HOLDOUT_ENTITY_SHARE"
        )
    else:
        champion_score = score(c.champion_alias)
        trainer.say(f"champion v{champion.version} {metric}={champion_score:.4f}")
        promoted, reason = _compare(metric, margin, challenger_score, champion_score, window)
    decision = PromotionDecision(
        registered_model_name=name,
        metric=metric,
        challenger_version=str(challenger.version),
        champion_version=champion_version,
        challenger_score=challenger_score,
        champion_score=champion_score,
        margin=margin,
        promoted=promoted,
        reason=reason,
        window=window.description,
        window_rule=window.rule,
        window_start=window.start,
        window_end=window.end,
        window_rows=window.n_rows,
        window_positives=window.positives,
        window_honest=window.honest,
        challenger_cutoff=iso(chal_record.data_cutoff),
        champion_cutoff=None if champ_record is None else iso(champ_record.data_cutoff),
    )
    decision.policy = trainer.settings.promotion_policy
    shadow_policy = decision.policy == "shadow" and champion is not None and not same
    if shadow_policy and promoted:
        decision.promoted = promoted = False
        decision.shadow = True
        decision.reason = reason = reason + enter_shadow(
            trainer, str(challenger.version), challenger.run_id
        )
    if not same:
        _tag_decision(decision, challenger.run_id)
    if shadow_policy and not decision.shadow:
        reject_offline(trainer, str(challenger.version), challenger.run_id)
    if promoted:
        mlflow_utils.set_alias(name, c.champion_alias, str(challenger.version))
        decision.champion_dir = str(
            publish_champion(trainer, str(challenger.version), challenger.run_id)
        )
        trainer.say(f"'{c.champion_alias}' -> v{challenger.version} ({reason})")
    else:
        trainer.say(f"'{c.champion_alias}' unchanged ({reason})")
    return decision
