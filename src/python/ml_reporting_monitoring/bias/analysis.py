"""analyze_prediction_bias: do some segments get flagged, or missed, far more than others?

For each segment column (country, age band, plan, ...) we compute per segment the score rate
(share predicted positive), the label rate, precision, recall and false-positive rate, then
each rate's ratio to the reference segment (the largest one by default). Ratios outside
``[min_ratio, max_ratio]`` are flagged (the four-fifths rule by default); segments too small
for a stable rate are reported but never flagged. A positive rate against a reference rate of 0
has ratio ``inf`` and is flagged (``disparity_ratio``); 0 against 0 is ratio 1.

Labels often arrive weeks after the score (chargebacks), so a scored frame has rows whose label
is still null. Those rows count in the score rate (the model did flag them) but not in the
label-based rates: a null is not a fraud, and ``astype(bool)`` would make it one. The table
says how many rows per segment were unlabelled.
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
        # JSON has no NaN or Infinity: undefined ratios become null, infinite ones "inf".
        segments = self.table.replace({np.nan: None, np.inf: "inf"})
        return {
            "thresholds": self.thresholds.model_dump(),
            "segments": segments.to_dict(orient="records"),
            "flagged": [list(s) for s in sorted(self.flagged_segments())],
        }


def age_band(age: pd.Series, edges: tuple[int, ...] = (0, 25, 35, 50, 65, 200)) -> pd.Series:
    """Age bands as strings (``"25-34"``) so they behave like any categorical segment."""
    labels = [f"{lo}-{hi - 1}" if hi < 200 else f"{lo}+" for lo, hi in pairwise(edges)]
    return pd.cut(age, bins=list(edges), right=False, labels=labels).astype(str)


def _rates(labels: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    """Score rate over every row; label rate, precision, recall and FPR over labelled rows."""
    known = labels.notna().to_numpy()
    truth = labels[known].to_numpy().astype(bool)
    flagged = predicted[known]
    tp = np.sum(flagged & truth)
    fp = np.sum(flagged & ~truth)
    fn = np.sum(~flagged & truth)
    tn = np.sum(~flagged & ~truth)
    nan = float("nan")
    return {
        "score_rate": float(predicted.mean()),
        "label_rate": float(truth.mean()) if len(truth) else nan,
        "precision": float(tp / (tp + fp)) if tp + fp else nan,
        "recall": float(tp / (tp + fn)) if tp + fn else nan,
        "fpr": float(fp / (fp + tn)) if fp + tn else nan,
    }


def disparity_ratio(rate: float, reference_rate: float) -> float:
    """``rate / reference_rate``, with a zero reference rate made explicit.

    Against a reference rate of 0 any positive rate is ``inf``: no tolerance band
    ``[min_ratio, max_ratio]`` around 0 contains it, so the segment is flagged as it would be
    against a tiny positive reference rate (the four-fifths rule compares the lower rate with
    the higher one: 0 is below 0.8 of anything). 0 vs 0 is no disparity (ratio 1). An undefined
    rate (NaN: precision with nobody predicted positive, recall with no positive label, FPR with
    no negative label) has no ratio and never flags; its cause is the zero score or label rate,
    which has its own ratio.
    """
    if np.isnan(rate) or np.isnan(reference_rate):
        return float("nan")
    if reference_rate == 0:
        return 1.0 if rate == 0 else float("inf")
    return rate / reference_rate


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
        stats, unlabelled = {}, {}
        for name, group in groups:
            stats[str(name)] = _rates(group[label], group[score].to_numpy(float) >= threshold)
            unlabelled[str(name)] = int(group[label].isna().sum())
        if base not in stats:
            raise ValueError(f"reference segment '{base}' not found in column '{column}'")
        for name, rates in stats.items():
            row = {"segment_column": column, "segment": name, "rows": int(sizes[name]),
                   "unlabelled_rows": unlabelled[name], "reference": base, **rates}  # fmt: skip
            flags = []
            for rate in RATES:
                ratio = disparity_ratio(rates[rate], stats[base][rate])
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
