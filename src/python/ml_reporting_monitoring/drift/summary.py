"""calculate_concept_drift_scores: one drift summary for a model's reference and current window.

Combines per-feature data drift (PSI + KS / chi-square), prediction drift (PSI + KS on the
score distribution) and, when labels are present, concept drift (performance decay per time
window). The summary is plain data so that the same object feeds the JSON file, the
Prometheus gauges and the HTML report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ml_reporting_monitoring.config import DriftThresholds
from ml_reporting_monitoring.drift.concept import WindowPerformance, performance_decay
from ml_reporting_monitoring.drift.statistics import (
    DriftResult,
    categorical_drift,
    numeric_drift,
)
from mlops_common.progress import track


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str
    psi: float
    p_value: float
    status: str  # "drift", "watch" or "ok"

    @classmethod
    def from_result(cls, result: DriftResult, thresholds: DriftThresholds) -> FeatureDrift:
        if result.drifted(thresholds.psi_threshold, thresholds.p_value_threshold):
            status = "drift"
        elif result.psi >= thresholds.psi_warning:
            status = "watch"
        else:
            status = "ok"
        return cls(result.feature, result.kind, result.psi, result.p_value, status)


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
        return [f.feature for f in self.features if f.status == "drift"]

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
    if pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(current):
        result = numeric_drift(name, reference, current, bins=thresholds.bins)
    else:
        result = categorical_drift(name, reference, current)
    return FeatureDrift.from_result(result, thresholds)


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
        result = numeric_drift(score, reference[score], current[score], bins=thresholds.bins)
        psi_hit = result.psi >= thresholds.prediction_psi_threshold
        status = (
            "drift"
            if psi_hit and result.p_value < thresholds.p_value_threshold
            else ("watch" if result.psi >= thresholds.psi_warning else "ok")
        )
        prediction = FeatureDrift(score, "score", result.psi, result.p_value, status)
    baseline, windows = None, []
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
