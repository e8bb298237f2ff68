"""HTML drift report: what was flagged and why, then the evidence per feature.

Order follows the questions a person opening it has: is anything wrong (intro), which
features and why (table with the statistic, its threshold, the p-value and what moved),
is a pipeline dropping values (missing shares), what do the distributions look like (one
figure per feature, flagged first, readable for skewed data: see ``drift_plots``), did the
scores move, and did performance decay.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ml_reporting_monitoring.drift.summary import DriftSummary, FeatureDrift
from ml_reporting_monitoring.reports.drift_plots import (
    feature_figure,
    missing_share_figure,
)
from ml_reporting_monitoring.reports.html import Section, render_html

_ORDER = {"drift": 0, "watch": 1, "ok": 2}
STATISTICS_NOTE = (
    "How features are compared: continuous numerics by the normalised Wasserstein distance "
    "(W1 / reference standard deviation, threshold {wasserstein_threshold:g}) and PSI on the "
    "reference's deciles ({psi_threshold:g}), gated by a KS test; categories and numerics with "
    "at most {max_discrete_values} distinct values by PSI on value shares ({psi_threshold:g}) "
    "and the largest change of one value's share as Cohen's h ({share_shift_threshold:g}), "
    "gated by chi-square; the missing-value share by Cohen's h ({missing_share_threshold:g}), "
    "gated by a two-proportion z-test. A signal flags when its effect size reaches the "
    "threshold and p < {p_value_threshold:g}."
)


def _feature_table(features: list[FeatureDrift]) -> pd.DataFrame:
    rows = []
    for f in sorted(features, key=lambda f: (_ORDER[f.status], -f.value / (f.threshold or 1))):
        missing = f.missing
        rows.append(
            {
                "feature": f.feature,
                "kind": f.kind,
                "statistic": f.statistic or "-",
                "value": f.value,
                "threshold": f.threshold,
                "p_value": f.p_value,
                "psi": f.psi,
                "missing ref -> cur": (
                    f"{100 * missing.reference:.1f}% -> {100 * missing.current:.1f}%"
                    if missing else "-"
                ),  # fmt: skip
                "status": f.status,
                "why": f.reason,
            }
        )
    return pd.DataFrame(rows)


def _data_section(summary: DriftSummary) -> Section:
    section = Section("Data drift per feature")
    flagged = [f for f in summary.features if f.status == "drift"]
    section.add_text(
        f"{len(flagged)} of {len(summary.features)} features flagged: "
        f"{', '.join(f.feature for f in flagged) or 'none'}."
    )
    section.add_text(STATISTICS_NOTE.format(**summary.thresholds))
    section.add_table(_feature_table(summary.features), row_class="status")
    return section


def _missing_section(summary: DriftSummary) -> Section:
    section = Section("Missing values")
    flagged = summary.missing_share_drifted_features
    section.add_text(
        "Share of rows where each feature is missing (null), training reference vs current "
        "window. A feature pipeline that breaks sends nulls, not wrong values; flagged: "
        f"{', '.join(flagged) or 'none'}."
    )
    section.add_figure(missing_share_figure(summary.features))
    return section


def _feature_section(
    summary: DriftSummary, reference: pd.DataFrame, current: pd.DataFrame
) -> Section:
    section = Section("Reference vs current, per feature")
    section.add_text(
        "Numeric features: left, share of rows per value bin (log axis for skewed positive "
        "values); right, the current window's share in each reference decile bin (the "
        "reference is 10% per bin, so a bar away from the line is a shift). Categories: "
        "share of each value; values absent from the reference are marked (new)."
    )
    for feature in sorted(summary.features, key=lambda f: _ORDER[f.status]):
        name = feature.feature
        section.add_figure(feature_figure(feature, reference[name], current[name]))
    return section


def _prediction_section(p: FeatureDrift, reference: pd.DataFrame, current: pd.DataFrame) -> Section:
    section = Section("Prediction drift (model scores)")
    section.add_text(f"{p.status}: {p.reason}.")
    section.add_figure(feature_figure(p, reference[p.feature], current[p.feature]))
    return section


def _concept_section(summary: DriftSummary) -> Section:
    section = Section("Concept drift (performance per window)")
    windows = pd.DataFrame([w.to_dict() for w in summary.concept_windows])
    windows["status"] = np.where(windows["decayed"], "decayed", "ok")
    # Concept windows are only computed together with their baseline.
    baseline = cast(float, summary.concept_baseline)
    section.add_text(f"baseline {summary.thresholds['concept_metric']} = {baseline:.4f}")
    section.add_table(windows, row_class="status")
    figure, axis = plt.subplots(figsize=(7, 3))
    axis.plot(pd.to_datetime(windows["window_start"]), windows["metric"], marker="o")
    axis.axhline(baseline, color="grey", linestyle=":")
    axis.set_ylabel(summary.thresholds["concept_metric"])
    figure.autofmt_xdate()
    section.add_figure(figure)
    return section


def write_drift_report(
    summary: DriftSummary, reference: pd.DataFrame, current: pd.DataFrame, path: Path
) -> Path:
    sections = [_data_section(summary), _missing_section(summary)]
    sections.append(_feature_section(summary, reference, current))
    if summary.prediction is not None:
        sections.append(_prediction_section(summary.prediction, reference, current))
    if summary.concept_windows:
        sections.append(_concept_section(summary))
    intro = [
        f"Model {summary.model}; reference {summary.reference_rows} rows, current "
        f"{summary.current_rows} rows; generated {summary.generated_at}.",
        "ALERT: drift found." if summary.alert else "No drift found.",
    ]
    intro += [f"{f.feature}: {f.reason}" for f in summary.features if f.status == "drift"]
    if summary.prediction is not None and summary.prediction_drifted:
        intro.append(f"scores: {summary.prediction.reason}")
    return render_html(path, f"Drift report: {summary.model}", sections, intro)
