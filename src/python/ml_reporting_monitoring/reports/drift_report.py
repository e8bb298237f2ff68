"""HTML drift report: summary table plus reference-vs-current plots per drifted feature."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ml_reporting_monitoring.drift.summary import DriftSummary
from ml_reporting_monitoring.reports.html import Section, render_html


def _distribution_figure(name: str, reference: pd.Series, current: pd.Series) -> plt.Figure:
    figure, axis = plt.subplots(figsize=(6, 3))
    if pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(current):
        ref, cur = reference.dropna().to_numpy(float), current.dropna().to_numpy(float)
        edges = np.unique(np.quantile(np.concatenate([ref, cur]), np.linspace(0, 1, 31)))
        axis.hist(ref, bins=edges, alpha=0.5, density=True, label="reference")
        axis.hist(cur, bins=edges, alpha=0.5, density=True, label="current")
    else:
        shares = pd.DataFrame(
            {
                "reference": reference.astype(str).value_counts(normalize=True),
                "current": current.astype(str).value_counts(normalize=True),
            }
        ).fillna(0.0)
        shares.head(20).plot.bar(ax=axis)
    axis.set_title(name)
    axis.legend()
    return figure


def write_drift_report(
    summary: DriftSummary, reference: pd.DataFrame, current: pd.DataFrame, path: Path
) -> Path:
    table = pd.DataFrame(
        [
            {
                "feature": f.feature,
                "kind": f.kind,
                "psi": f.psi,
                "p_value": f.p_value,
                "status": f.status,
            }  # fmt: skip
            for f in summary.features
        ]
    ).sort_values("psi", ascending=False)
    data = Section("Data drift per feature")
    data.paragraphs.append(
        f"{len(summary.drifted_features)} of {len(summary.features)} features drifted: "
        f"{', '.join(summary.drifted_features) or 'none'}."
    )
    data.add_table(table, row_class="status")
    figure, axis = plt.subplots(figsize=(7, 0.3 * len(table) + 1))
    axis.barh(table["feature"], table["psi"], color="tab:blue")
    axis.axvline(summary.thresholds["psi_threshold"], color="red", linestyle="--")
    axis.set_xlabel("PSI")
    data.add_figure(figure)
    for feature in summary.features:
        if feature.status != "ok":
            data.add_figure(
                _distribution_figure(
                    feature.feature, reference[feature.feature], current[feature.feature]
                )
            )
    sections = [data]
    if summary.prediction is not None:
        prediction = Section("Prediction drift")
        p = summary.prediction
        prediction.paragraphs.append(
            f"score PSI {p.psi:.4f}, KS p-value {p.p_value:.3g}: {p.status}."
        )
        prediction.add_figure(
            _distribution_figure(p.feature, reference[p.feature], current[p.feature])
        )
        sections.append(prediction)
    if summary.concept_windows:
        concept = Section("Concept drift (performance per window)")
        windows = pd.DataFrame([w.to_dict() for w in summary.concept_windows])
        windows["status"] = np.where(windows["decayed"], "decayed", "ok")
        concept.paragraphs.append(
            f"baseline {summary.thresholds['concept_metric']} = {summary.concept_baseline:.4f}"
        )
        concept.add_table(windows, row_class="status")
        figure, axis = plt.subplots(figsize=(7, 3))
        axis.plot(pd.to_datetime(windows["window_start"]), windows["metric"], marker="o")
        axis.axhline(summary.concept_baseline, color="grey", linestyle=":")
        axis.set_ylabel(summary.thresholds["concept_metric"])
        concept.add_figure(figure)
        sections.append(concept)
    intro = [
        f"Model {summary.model}; reference {summary.reference_rows} rows, current "
        f"{summary.current_rows} rows; generated {summary.generated_at}.",
        "ALERT: drift found." if summary.alert else "No drift found.",
    ]
    return render_html(path, f"Drift report: {summary.model}", sections, intro)
