"""analyze_prediction_bias: do some segments get flagged, or missed, far more than others?

For each segment column (country, age band, plan, ...) we compute per segment the score rate
(share predicted positive), the label rate, precision, recall and false-positive rate, then
each rate's ratio to the reference segment (the largest one by default). Ratios outside
``[min_ratio, max_ratio]`` are flagged (the four-fifths rule by default); segments too small
for a stable rate are reported but never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from ml_reporting_monitoring.config import BiasThresholds

RATES = ("score_rate", "label_rate", "precision", "recall", "fpr")


@dataclass
class BiasReport:
    table: pd.DataFrame  # one row per (segment_column, segment)
    thresholds: BiasThresholds

    @property
    def flagged(self) -> pd.DataFrame:
        return self.table[self.table["flagged"]]

    def flagged_segments(self) -> set[tuple[str, str]]:
        return set(zip(self.flagged["segment_column"], self.flagged["segment"], strict=True))

    def to_dict(self) -> dict:
        return {
            "thresholds": self.thresholds.model_dump(),
            "segments": self.table.replace({np.nan: None}).to_dict(orient="records"),
            "flagged": [list(s) for s in sorted(self.flagged_segments())],
        }


def age_band(age: pd.Series, edges: tuple[int, ...] = (0, 25, 35, 50, 65, 200)) -> pd.Series:
    """Age bands as strings (``"25-34"``) so they behave like any categorical segment."""
    labels = [f"{lo}-{hi - 1}" if hi < 200 else f"{lo}+" for lo, hi in pairwise(edges)]
    return pd.cut(age, bins=list(edges), right=False, labels=labels).astype(str)


def _rates(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    tp = np.sum(predicted & labels)
    fp = np.sum(predicted & ~labels)
    fn = np.sum(~predicted & labels)
    tn = np.sum(~predicted & ~labels)
    nan = float("nan")
    return {
        "score_rate": float(predicted.mean()),
        "label_rate": float(labels.mean()),
        "precision": float(tp / (tp + fp)) if tp + fp else nan,
        "recall": float(tp / (tp + fn)) if tp + fn else nan,
        "fpr": float(fp / (fp + tn)) if fp + tn else nan,
    }


def analyze_prediction_bias(
    frame: pd.DataFrame,
    segment_columns: list[str],
    *,
    score: str = "score",
    label: str = "label",
    threshold: float = 0.5,
    thresholds: BiasThresholds | None = None,
    reference: dict[str, str] | None = None,
) -> BiasReport:
    """Per-segment rates with disparity ratios; ``reference`` picks the base segment per column."""
    thresholds = thresholds or BiasThresholds()
    missing = {score, label, *segment_columns} - set(frame.columns)
    if missing:
        raise ValueError(f"bias analysis needs columns {sorted(missing)}")
    rows = []
    for column in segment_columns:
        groups = frame.groupby(frame[column].astype(str), observed=True)
        sizes = groups.size()
        base = (reference or {}).get(column, str(sizes.idxmax()))
        stats = {}
        for name, group in groups:
            stats[str(name)] = _rates(
                group[label].to_numpy().astype(bool), group[score].to_numpy(float) >= threshold
            )
        if base not in stats:
            raise ValueError(f"reference segment '{base}' not found in column '{column}'")
        for name, rates in stats.items():
            row = {"segment_column": column, "segment": name, "rows": int(sizes[name]),
                   "reference": base, **rates}  # fmt: skip
            flags = []
            for rate in RATES:
                ref_value = stats[base][rate]
                ratio = rates[rate] / ref_value if ref_value else float("nan")
                row[f"{rate}_ratio"] = ratio
                out = not np.isnan(ratio) and not (
                    thresholds.min_ratio <= ratio <= thresholds.max_ratio
                )
                if out and rate != "label_rate" and sizes[name] >= thresholds.min_segment_rows:
                    flags.append(rate)
            row["flagged_rates"] = ",".join(flags)
            row["flagged"] = bool(flags)
            rows.append(row)
    return BiasReport(pd.DataFrame(rows), thresholds)
