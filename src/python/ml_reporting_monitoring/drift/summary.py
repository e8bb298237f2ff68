"""calculate_drift: one drift summary for a model's reference and current window.

Combines per-feature data drift (distribution by feature type, see ``drift.distribution``,
and the missing-value share, ``drift.missing``), prediction drift (the score distribution)
and, when labels are present, concept drift (performance decay per time window). The summary
is plain data so that the same object feeds the JSON file, the Prometheus gauges and the
HTML report, and each says the same thing about why a feature was flagged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ml_reporting_monitoring.config import DriftThresholds
from ml_reporting_monitoring.drift.concept import WindowPerformance, performance_decay
from ml_reporting_monitoring.drift.distribution import (
    DistributionDrift,
    Effect,
    continuous_drift,
    feature_drift,
)
from ml_reporting_monitoring.drift.missing import MissingShare, missing_share
from mlops_common.progress import track

_SEVERITY = {"ok": 0, "watch": 1, "drift": 2}


def _verdict(effect: Effect, status: str, result: DistributionDrift, p_threshold: float) -> str:
    """The effect against its threshold and the p-value, true for every status: an effect at
    its threshold is "ok" when the test says the change may be noise (the p-value gate), and
    then saying "below" would contradict the numbers beside it."""
    test = f"{result.test} p {result.p_value:.2g}"
    value = f"{effect.statistic} {effect.value:.3g}"
    if status == "drift":
        return f"{value} >= {effect.threshold:g} ({test})"
    if status == "watch":
        return f"{value} >= warning {effect.warning:g} ({test})"
    if effect.value >= effect.threshold:
        return f"{value} >= {effect.threshold:g} but not significant ({test} >= {p_threshold:g})"
    return f"{value} below {effect.threshold:g} ({test})"


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str  # "continuous", "discrete", "categorical" or "score"
    statistic: str  # the effect size that decided (closest to / past its threshold)
    value: float
    threshold: float
    test: str  # "ks", "chi2" or "none"
    p_value: float
    psi: float
    distribution_status: str  # "drift", "watch" or "ok"
    missing: MissingShare | None
    status: str  # the worse of the distribution and the missing-share status
    reason: str  # why, in one line: statistic vs threshold, p-value, what moved

    @classmethod
    def build(
        cls, result: DistributionDrift, missing: MissingShare | None, p_value_threshold: float
    ) -> FeatureDrift:
        status = result.status(p_value_threshold)
        effect = result.strongest
        if effect is None:
            reason = result.detail
        else:
            reason = f"{_verdict(effect, status, result, p_value_threshold)}: {result.detail}"
        overall = status
        if missing is not None:
            overall = max(status, missing.status, key=_SEVERITY.__getitem__)
            if _SEVERITY[missing.status] > _SEVERITY[status]:  # the signal that flagged first
                reason = f"{missing.detail}; distribution of the values present: {reason}"
            elif missing.status != "ok" or missing.current > 0:
                reason = f"{reason}; {missing.detail}"
        return cls(
            feature=result.feature,
            kind=result.kind,
            statistic=effect.statistic if effect else "",
            value=effect.value if effect else 0.0,
            threshold=effect.threshold if effect else 0.0,
            test=result.test,
            p_value=result.p_value,
            psi=result.psi,
            distribution_status=status,
            missing=missing,
            status=overall,
            reason=reason,
        )


@dataclass
class DriftSummary:
    model: str
    generated_at: str
    reference_rows: int
    current_rows: int
    thresholds: dict
    features: list[FeatureDrift]
    prediction: FeatureDrift | None = None
    concept_baseline: float | None = None
    concept_windows: list[WindowPerformance] = field(default_factory=list)

    @property
    def drifted_features(self) -> list[str]:
        """Features flagged by any signal (distribution or missing share)."""
        return [f.feature for f in self.features if f.status == "drift"]

    @property
    def missing_share_drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.missing and f.missing.status == "drift"]

    @property
    def prediction_drifted(self) -> bool:
        return self.prediction is not None and self.prediction.status == "drift"

    @property
    def concept_drifted(self) -> bool:
        return any(w.decayed for w in self.concept_windows)

    @property
    def alert(self) -> bool:
        """True when anything calls for a look (and possibly a retraining run)."""
        return bool(self.drifted_features) or self.prediction_drifted or self.concept_drifted

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(
            drifted_features=self.drifted_features,
            missing_share_drifted_features=self.missing_share_drifted_features,
            prediction_drifted=self.prediction_drifted,
            concept_drifted=self.concept_drifted,
            alert=self.alert,
        )
        return data

    def write_json(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, default=str))
        return path


def _column_drift(
    name: str, reference: pd.Series, current: pd.Series, thresholds: DriftThresholds
) -> FeatureDrift:
    return FeatureDrift.build(
        feature_drift(name, reference, current, thresholds),
        missing_share(reference, current, thresholds),
        thresholds.p_value_threshold,
    )


def calculate_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    model: str,
    thresholds: DriftThresholds,
    features: list[str] | None = None,
    score: str | None = None,
    label: str | None = None,
    timestamp: str | None = None,
    baseline_metric: float | None = None,
) -> DriftSummary:
    """Drift of ``features`` (default: every shared column except score/label/timestamp).

    ``baseline_metric`` is the training-time value of ``thresholds.concept_metric`` (e.g. the
    AUC logged in MLflow); without it the first labelled window of ``current`` is the baseline.
    """
    special = {c for c in (score, label, timestamp) if c}
    if features is None:
        features = [c for c in reference.columns if c in current.columns and c not in special]
    absent = [f for f in features if f not in reference.columns or f not in current.columns]
    if absent:
        raise ValueError(f"features {absent} missing from reference or current data")
    feature_drift = [
        _column_drift(f, reference[f], current[f], thresholds)
        for f in track(features, label=f"drift {model}", interval_s=5.0)
    ]
    prediction = None
    if score and score in reference.columns and score in current.columns:
        result = continuous_drift(
            score, reference[score], current[score], thresholds, kind="score",
            psi_threshold=thresholds.prediction_psi_threshold,
        )  # fmt: skip
        prediction = FeatureDrift.build(result, None, thresholds.p_value_threshold)
    baseline: float | None = None
    windows: list[WindowPerformance] = []
    if label and score and timestamp and label in current.columns:
        baseline, windows = performance_decay(
            current,
            timestamp=timestamp,
            label=label,
            score=score,
            metric=thresholds.concept_metric,
            window=thresholds.concept_window,
            baseline=baseline_metric,
            relative_decay=thresholds.concept_relative_decay,
            min_rows=thresholds.min_window_rows,
        )
    return DriftSummary(
        model=model,
        generated_at=datetime.now(UTC).isoformat(),
        reference_rows=len(reference),
        current_rows=len(current),
        thresholds=thresholds.model_dump(),
        features=feature_drift,
        prediction=prediction,
        concept_baseline=baseline,
        concept_windows=windows,
    )
