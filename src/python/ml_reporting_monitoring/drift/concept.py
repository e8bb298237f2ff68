"""Concept drift: does the model still perform as well as it did on its training baseline?

Data drift says the inputs moved; concept drift says the relationship between inputs and the
label moved, and that only shows once labels arrive. We compute the chosen metric per time
window of labelled predictions and flag windows whose metric fell more than the configured
relative decay below the baseline (the metric logged at training time, or the first window).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class WindowPerformance:
    window_start: str
    rows: int
    metric: float
    relative_change: float
    decayed: bool

    def to_dict(self) -> dict:
        return asdict(self)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann-Whitney form of ROC AUC (ties averaged); NaN when a window has one class only."""
    labels = labels.astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metric(
    name: str, labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5
) -> float:
    if name == "roc_auc":
        return roc_auc(labels, scores)
    predicted = scores >= threshold
    labels = labels.astype(bool)
    tp = float(np.sum(predicted & labels))
    fp = float(np.sum(predicted & ~labels))
    fn = float(np.sum(~predicted & labels))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    if name == "precision":
        return precision
    if name == "recall":
        return recall
    if name == "f1":
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    raise ValueError(f"unknown metric '{name}': use roc_auc, precision, recall or f1")


def performance_decay(
    frame: pd.DataFrame,
    *,
    timestamp: str,
    label: str,
    score: str,
    metric: str = "roc_auc",
    window: str = "7D",
    baseline: float | None = None,
    relative_decay: float = 0.05,
    min_rows: int = 50,
) -> tuple[float, list[WindowPerformance]]:
    """Metric per time window and whether it decayed; returns (baseline, windows)."""
    missing = {timestamp, label, score} - set(frame.columns)
    if missing:
        raise ValueError(f"concept drift needs columns {sorted(missing)}; pass --timestamp etc.")
    labelled = frame.dropna(subset=[label, score]).copy()
    labelled[timestamp] = pd.to_datetime(labelled[timestamp], utc=True)
    rows: list[tuple[str, int, float]] = []
    for start, group in labelled.groupby(pd.Grouper(key=timestamp, freq=window)):
        if len(group) < min_rows:
            continue
        value = classification_metric(
            metric, group[label].to_numpy(), group[score].to_numpy(dtype=float)
        )
        if not np.isnan(value):
            rows.append((start.isoformat(), len(group), value))
    if not rows:
        return (baseline if baseline is not None else float("nan")), []
    if baseline is None:
        baseline = rows[0][2]
    windows = []
    for start, n, value in rows:
        change = (value - baseline) / baseline if baseline else 0.0
        windows.append(WindowPerformance(start, n, value, change, change <= -relative_decay))
    return baseline, windows
