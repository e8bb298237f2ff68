"""Shadow evidence: what a challenger did on live requests next to the champion, and a verdict.

The services append one record per shadowed request to the shadow log
(``mlops_common.shadow_log``): both versions' scores and labels on the same feature vector.
Outcome labels arrive later, in the same label table training reads
(``$MLOPS_HOME/labels/<use_case>_labels.parquet``, built by ``feature_store_management/
labels.py``). :func:`compute_evidence` joins the two:

* fraud (``contract.event_key`` = ``transaction_id``): a record's ``event_id`` is the
  transaction, whose ``is_fraud`` row arrives when the outcome is known;
* churn (no event key): the label row of the same user with the newest ``event_timestamp`` at
  or before the request (the snapshot whose features the request was scored on; its label
  says whether the user left after it).

It counts requests, label agreement, decisions changed by (champion label → challenger label)
and, on the labelled rows, each model's ``promotion_metric`` (the metric offline promotion
uses, from :func:`classification_metrics`) computed from the scores the services logged — no
model is re-run, so the evidence is what production saw. :func:`judge` turns it into
``promote`` / ``wait`` (not enough requests or labels yet) / ``reject`` (enough evidence, and
it says the challenger disagrees too often or is worse).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ml_model_development.common_ml_utils.evaluation_utils import classification_metrics
from ml_model_development.common_ml_utils.settings import TrainingSettings
from mlops_common.contracts.features import ModelContract
from mlops_common.shadow_log import ShadowRecord

Verdict = Literal["promote", "wait", "reject"]
CHANGE_ARROW = "->"


@dataclass(frozen=True)
class ShadowPolicy:
    """The thresholds a challenger must meet in shadow (``TRAINING_SHADOW_*`` settings)."""

    metric: str
    min_requests: int
    min_agreement: float
    min_labelled: int
    max_metric_drop: float
    decision_threshold: float = 0.5

    @classmethod
    def from_settings(cls, settings: TrainingSettings) -> ShadowPolicy:
        return cls(
            metric=settings.promotion_metric,
            min_requests=settings.shadow_min_requests,
            min_agreement=settings.shadow_min_agreement,
            min_labelled=settings.shadow_min_labelled,
            max_metric_drop=settings.shadow_max_metric_drop,
            decision_threshold=settings.decision_threshold,
        )


@dataclass
class ShadowEvidence:
    """Counts and metrics of one champion/challenger pair over the shadow log."""

    champion_version: str
    challenger_version: str
    metric: str
    requests: int = 0  # both models scored
    errors: int = 0  # the challenger failed (no score)
    agreeing: int = 0
    canary_requests: int = 0  # the challenger's label was returned
    changed: dict[str, int] = field(default_factory=dict)  # "approve->review": n
    labelled: int = 0
    positives: int = 0
    champion_metric: float | None = None
    challenger_metric: float | None = None
    first_ts: str | None = None
    last_ts: str | None = None

    @property
    def agreement(self) -> float | None:
        return None if self.requests == 0 else self.agreeing / self.requests

    @property
    def changed_total(self) -> int:
        return sum(self.changed.values())

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.update(agreement=self.agreement, changed_total=self.changed_total)
        return out


def records_frame(records: Iterable[ShadowRecord]) -> pd.DataFrame:
    columns = list(ShadowRecord.__dataclass_fields__)
    return pd.DataFrame([r.to_dict() for r in records], columns=columns)


def _as_key(values: pd.Series) -> pd.Series:
    """Join keys as text: JSON gives ints, parquet int64 or str; ``12`` must meet ``"12"``."""
    return values.map(
        lambda v: None if v is None or v != v else str(int(v) if isinstance(v, float) else v)
    )


def attach_labels(frame: pd.DataFrame, labels: pd.DataFrame, contract: ModelContract) -> pd.Series:
    """The outcome label (0/1, NaN while unknown) of each shadow row, aligned to ``frame``."""
    out = pd.Series(np.nan, index=frame.index, dtype="float64")
    if frame.empty or labels.empty:
        return out
    known = labels.dropna(subset=[contract.label])
    if contract.event_key is not None and contract.event_key in known.columns:
        by_event = dict(
            zip(
                _as_key(known[contract.event_key]), known[contract.label].astype(float), strict=True
            )
        )
        return _as_key(frame["event_id"]).map(by_event).astype("float64")
    left = pd.DataFrame(
        {
            "key": _as_key(frame["entity_id"]),
            "ts": pd.to_datetime(frame["ts"], utc=True, format="ISO8601"),
            "row": frame.index,
        }
    ).sort_values("ts")
    right = pd.DataFrame(
        {
            "key": _as_key(known[contract.entity_join_key]),
            "ts": pd.to_datetime(known["event_timestamp"], utc=True),
            "label": known[contract.label].astype(float),
        }
    ).sort_values("ts")
    left["ts"] = left["ts"].astype("datetime64[us, UTC]")
    right["ts"] = right["ts"].astype("datetime64[us, UTC]")
    joined = pd.merge_asof(left, right, on="ts", by="key", direction="backward")
    return pd.Series(joined["label"].to_numpy(), index=joined["row"].to_numpy()).reindex(
        frame.index
    )


def compute_evidence(
    records: Iterable[ShadowRecord],
    labels: pd.DataFrame,
    contract: ModelContract,
    champion_version: str,
    challenger_version: str,
    policy: ShadowPolicy,
) -> ShadowEvidence:
    """Evidence of the pair ``champion_version``/``challenger_version`` (other pairs ignored)."""
    frame = records_frame(records)
    frame = frame[
        (frame["champion_version"].astype(str) == str(champion_version))
        & (frame["challenger_version"].astype(str) == str(challenger_version))
    ]
    evidence = ShadowEvidence(str(champion_version), str(challenger_version), policy.metric)
    if frame.empty:
        return evidence
    evidence.first_ts, evidence.last_ts = str(frame["ts"].min()), str(frame["ts"].max())
    failed = frame["challenger_score"].isna()
    evidence.errors = int(failed.sum())
    scored = frame[~failed]
    evidence.requests = len(scored)
    same = scored["champion_label"] == scored["challenger_label"]
    evidence.agreeing = int(same.sum())
    evidence.canary_requests = int((scored["decided_by"] == "challenger").sum())
    flips = Counter(
        f"{a}{CHANGE_ARROW}{b}"
        for a, b in zip(
            scored.loc[~same, "champion_label"], scored.loc[~same, "challenger_label"], strict=True
        )
    )
    evidence.changed = dict(sorted(flips.items()))
    outcome = attach_labels(scored, labels, contract)
    labelled = scored[outcome.notna()]
    y = outcome[outcome.notna()].astype(int).to_numpy()
    evidence.labelled, evidence.positives = len(labelled), int(y.sum())
    if 0 < evidence.positives < evidence.labelled:  # both classes: the metric is defined

        def metric(column: str) -> float:
            proba = labelled[column].astype(float).to_numpy()
            return classification_metrics(y, proba, policy.decision_threshold)[policy.metric]

        evidence.champion_metric = metric("champion_score")
        evidence.challenger_metric = metric("challenger_score")
    return evidence


def judge(evidence: ShadowEvidence, policy: ShadowPolicy) -> tuple[Verdict, str]:
    """``promote`` / ``wait`` / ``reject`` and a reason naming every figure compared."""
    pair = f"challenger v{evidence.challenger_version} vs champion v{evidence.champion_version}"
    if evidence.requests < policy.min_requests:
        return "wait", (
            f"{pair}: {evidence.requests} shadowed requests < {policy.min_requests}"
            " (TRAINING_SHADOW_MIN_REQUESTS); keep it in shadow"
        )
    agreement = evidence.agreement or 0.0
    if agreement < policy.min_agreement:
        return "reject", (
            f"{pair}: agreement {agreement:.4f} < {policy.min_agreement}"
            f" (TRAINING_SHADOW_MIN_AGREEMENT) on {evidence.requests} requests; changed"
            f" decisions {evidence.changed}"
        )
    if evidence.labelled < policy.min_labelled:
        return "wait", (
            f"{pair}: {evidence.labelled} labelled shadow rows < {policy.min_labelled}"
            " (TRAINING_SHADOW_MIN_LABELLED); wait for outcome labels"
        )
    if evidence.champion_metric is None or evidence.challenger_metric is None:
        return "wait", (
            f"{pair}: the {evidence.labelled} labelled rows hold one class ({evidence.positives}"
            f" positives), {policy.metric} is undefined; wait for more labels"
        )
    drop = evidence.champion_metric - evidence.challenger_metric
    shown = (
        f"{policy.metric} challenger {evidence.challenger_metric:.4f} vs champion"
        f" {evidence.champion_metric:.4f} on {evidence.labelled} labelled rows"
    )
    if drop > policy.max_metric_drop:
        return "reject", (
            f"{pair}: {shown}, drop {drop:.4f} > {policy.max_metric_drop}"
            " (TRAINING_SHADOW_MAX_METRIC_DROP)"
        )
    return "promote", (
        f"{pair}: {evidence.requests} requests, agreement {agreement:.4f} >="
        f" {policy.min_agreement}, {shown} (allowed drop {policy.max_metric_drop})"
    )
