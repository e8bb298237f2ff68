"""Promotion on shadow evidence (``TRAINING_PROMOTION_POLICY=shadow``).

Offline promotion (``promotion.py``) judges a challenger on holdout rows; with the shadow
policy a win there is not enough. :func:`enter_shadow` (called by ``evaluate_and_promote``)
leaves the winner on the ``challenger`` alias with ``shadow_state=shadow`` and
``shadow_started_at``; the services score that alias next to the champion and write the shadow
log. A loser under this policy loses the alias (``shadow_state=rejected_offline``), so the
services never shadow a model the holdout already refused.

:func:`promote_challenger` (``trainer promote-challenger``, daily from Airflow) reads the log
since ``shadow_started_at``, joins it with the label table (``shadow_evidence.py``) and:

* ``promote`` — moves ``champion`` to the challenger, removes the ``challenger`` alias,
  publishes the ONNX graph like offline promotion, exit 0 with ``promoted: true``;
* ``wait`` — not enough requests or labels yet: exit 0, ``promoted: false``; the next
  scheduled run looks again (waiting is the normal state, not a failure of the DAG);
* ``reject`` — enough evidence and it says no (agreement too low, metric worse): exit 3
  (``flagged: true``, the CLI contract's "ran and flagged"), the challenger stays in shadow
  for a person to look at, and stays flagged until a new training run replaces it.

Every check writes its figures as version tags (``promotion_shadow_*``, thresholds
``promotion_shadow_min_*``, ``promotion_shadow_verdict``), so the registry shows the current
evidence; a promotion also writes ``promotion_evidence=shadow``, ``promotion_promoted=true``,
``promotion_previous_champion``, ``promotion_reason`` and ``promotion.champion``, the tags the
retraining report reads — next to the offline gate's tags from when it entered shadow.

A promotion writes those tags (``shadow_state=promoted``, the decision of record) first, then
moves ``champion``, publishes the copy and removes the ``challenger`` alias last. Airflow
retries a failed task, so a run that finds the challenger already tagged ``promoted`` finishes
that promotion (:func:`_finish`: each step is skipped when already done) and reports it
(``verdict: promote``, ``promoted: true``) instead of calling it "not in shadow" or "already
champion", which would leave the published copy stale and the service not reloaded.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.tracking import MlflowClient

from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.data_loading import read_entity_frame
from ml_model_development.common_ml_utils.shadow_evidence import (
    ShadowEvidence,
    ShadowPolicy,
    compute_evidence,
    judge,
)
from mlops_common.shadow_log import IN_SHADOW, SHADOW_STATE_TAG, read_shadow_log

SHADOW_STARTED_TAG = "shadow_started_at"
PROMOTED = "promoted"  # shadow_state of a version promoted on shadow evidence
TAG_PREFIX = "promotion_shadow_"


@dataclass
class ShadowDecision:
    """The JSON result of ``trainer promote-challenger``."""

    registered_model_name: str
    verdict: str  # promote | wait | reject | none
    promoted: bool
    flagged: bool
    reason: str
    champion_version: str | None = None
    challenger_version: str | None = None
    window_start: str | None = None
    window_end: str | None = None
    shadow_root: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    champion_dir: str | None = None


def _set_tags(name: str, version: str, run_id: str | None, tags: dict[str, Any]) -> None:
    client = MlflowClient()
    for key, value in tags.items():
        if value is None:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        client.set_model_version_tag(name, version, key, text)
        if run_id:
            client.set_tag(run_id, key, text)


def enter_shadow(trainer: BaseModelTrainer, version: str, run_id: str) -> str:
    """Keep ``version`` as ``challenger`` in shadow; return the reason suffix for the gate."""
    _set_tags(
        trainer.name,
        version,
        run_id,
        {
            SHADOW_STATE_TAG: IN_SHADOW,
            SHADOW_STARTED_TAG: datetime.now(UTC).isoformat(),
            "promotion_policy": "shadow",
        },
    )
    return (
        "; promotion policy 'shadow': it stays 'challenger' in shadow until"
        " `trainer promote-challenger` finds the evidence"
    )


def reject_offline(trainer: BaseModelTrainer, version: str, run_id: str) -> None:
    """Under the shadow policy an offline loser gives the alias up: nothing to shadow."""
    _set_tags(trainer.name, version, run_id, {SHADOW_STATE_TAG: "rejected_offline"})
    MlflowClient().delete_registered_model_alias(trainer.name, trainer.contract.challenger_alias)


def _evidence_tags(evidence: ShadowEvidence, policy: ShadowPolicy, verdict: str) -> dict[str, Any]:
    figures = {
        f"{TAG_PREFIX}{key}": value
        for key, value in evidence.to_dict().items()
        if key not in ("champion_version", "challenger_version")
    }
    figures[f"{TAG_PREFIX}changed"] = json.dumps(evidence.changed, sort_keys=True)
    thresholds = {
        f"{TAG_PREFIX}min_requests": policy.min_requests,
        f"{TAG_PREFIX}min_agreement": policy.min_agreement,
        f"{TAG_PREFIX}min_labelled": policy.min_labelled,
        f"{TAG_PREFIX}max_metric_drop": policy.max_metric_drop,
    }
    return {
        **figures,
        **thresholds,
        f"{TAG_PREFIX}verdict": verdict,
        f"{TAG_PREFIX}champion_version": evidence.champion_version,
        f"{TAG_PREFIX}checked_at": datetime.now(UTC).isoformat(),
    }


def _finish(trainer: BaseModelTrainer, version: str, run_id: str) -> str:
    """Move ``champion`` to ``version``, publish it, drop ``challenger``; re-runnable.

    The ``challenger`` alias goes last: while it still names the version, a re-run after a
    failure here finds the version tagged ``promoted`` and calls this again.
    """
    from ml_model_development.common_ml_utils.promotion import (
        champion_dir,
        publish_champion,
        published_version,
    )

    name, c = trainer.name, trainer.contract
    mlflow_utils.set_alias(name, c.champion_alias, version)
    published = (
        champion_dir(trainer)
        if published_version(trainer) == version
        else publish_champion(trainer, version, run_id)
    )
    MlflowClient().delete_registered_model_alias(name, c.challenger_alias)
    return str(published)


def _interrupted(challenger: ModelVersion | None, champion: ModelVersion | None) -> bool:
    """Did an earlier run record this promotion (tags) and stop before finishing it?

    Only while the champion is the one it replaced or already the challenger, so a challenger
    alias pointed back at an old promoted version by hand is not promoted again.
    """
    if challenger is None or challenger.tags.get(SHADOW_STATE_TAG) != PROMOTED:
        return False
    previous = challenger.tags.get("promotion_previous_champion")
    return champion is None or str(champion.version) in (str(challenger.version), previous)


def promote_challenger(trainer: BaseModelTrainer, today: date | None = None) -> ShadowDecision:
    """Check the shadow evidence of the current challenger; promote, wait or flag it."""
    from ml_model_development.common_ml_utils.promotion import PROMOTED_AT_TAG

    mlflow_utils.configure(trainer.platform)
    name, c = trainer.name, trainer.contract
    policy = ShadowPolicy.from_settings(trainer.settings)
    root = trainer.platform.resolved_shadow_root()
    challenger = mlflow_utils.version_for_alias(name, c.challenger_alias)
    champion = mlflow_utils.version_for_alias(name, c.champion_alias)
    decision = ShadowDecision(
        registered_model_name=name,
        verdict="none",
        promoted=False,
        flagged=False,
        reason="",
        champion_version=None if champion is None else str(champion.version),
        challenger_version=None if challenger is None else str(challenger.version),
        shadow_root=str(root),
        thresholds=asdict(policy),
    )
    if _interrupted(challenger, champion):
        version, run_id = str(challenger.version), challenger.run_id
        decision.champion_version = challenger.tags.get("promotion_previous_champion")
        decision.champion_dir = _finish(trainer, version, run_id)
        decision.verdict, decision.promoted = "promote", True
        decision.reason = (
            f"completing the shadow promotion of v{version} decided at"
            f" {challenger.tags.get('promotion_decided_at')} (an earlier run stopped before"
            " finishing it)"
        )
        trainer.say(f"'{c.champion_alias}' -> v{version}: {decision.reason}")
        return decision
    if challenger is None or champion is None:
        decision.reason = f"no '{c.challenger_alias}' and '{c.champion_alias}' pair to compare"
        return decision
    if str(challenger.version) == str(champion.version):
        decision.reason = f"challenger v{challenger.version} is already champion"
        return decision
    if challenger.tags.get(SHADOW_STATE_TAG) != IN_SHADOW:
        decision.reason = (
            f"challenger v{challenger.version} is not in shadow (tag {SHADOW_STATE_TAG}="
            f"{challenger.tags.get(SHADOW_STATE_TAG)!r}); train with"
            " TRAINING_PROMOTION_POLICY=shadow so that a winner waits for shadow evidence"
        )
        return decision

    end = today or datetime.now(UTC).date()
    started = challenger.tags.get(SHADOW_STARTED_TAG)
    start = (
        pd.Timestamp(started).tz_convert("UTC").date()
        if started
        else end - timedelta(days=trainer.settings.shadow_lookback_days)
    )
    decision.window_start, decision.window_end = start.isoformat(), end.isoformat()
    records = read_shadow_log(
        root,
        name,
        start,
        end,
        champion_version=str(champion.version),
        challenger_version=str(challenger.version),
    )
    labels_path = trainer.settings.resolve_labels_path(trainer.platform, c.use_case)
    labels = (
        read_entity_frame(labels_path, c, require_label=True)
        if labels_path.exists()
        else pd.DataFrame(columns=[c.entity_join_key, "event_timestamp", c.label])
    )
    evidence = compute_evidence(
        records, labels, c, str(champion.version), str(challenger.version), policy
    )
    verdict, reason = judge(evidence, policy)
    trainer.say(f"shadow evidence: {verdict}: {reason}")
    decision.verdict, decision.reason, decision.evidence = verdict, reason, evidence.to_dict()
    tags = _evidence_tags(evidence, policy, verdict)
    tags[f"{TAG_PREFIX}window_start"], tags[f"{TAG_PREFIX}window_end"] = start, end
    tags[f"{TAG_PREFIX}reason"] = reason
    version, run_id = str(challenger.version), challenger.run_id
    if verdict == "promote":
        decided_at = datetime.now(UTC).isoformat()
        tags.update(
            {
                "promotion_evidence": "shadow",
                "promotion_promoted": True,
                "promotion_reason": f"shadow evidence: {reason}",
                "promotion_previous_champion": str(champion.version),
                "promotion_champion_version": str(champion.version),
                "promotion_decided_at": decided_at,
                SHADOW_STATE_TAG: PROMOTED,
            }
        )
        MlflowClient().set_model_version_tag(
            name, version, PROMOTED_AT_TAG.format(alias=c.champion_alias), decided_at
        )
        _set_tags(name, version, run_id, tags)  # shadow_state=promoted last: the record
        decision.champion_dir = _finish(trainer, version, run_id)
        decision.promoted = True
        trainer.say(f"'{c.champion_alias}' -> v{version} on shadow evidence")
    else:
        _set_tags(name, version, None, tags)
        decision.flagged = verdict == "reject"
    return decision
