"""Reference-vs-current plots a person can read, whatever the skew of the data.

Amounts and model scores are heavy-tailed or piled up near 0; a histogram on a linear axis
with density bars then shows one spike and an empty frame (the fraud report's score plot did,
issue 15). Every numeric plot here therefore has two panels:

* **values**: share of rows per bin (not density), with log-spaced bins on a log axis when
  the data are positive and skewed (p99 / p50 > 10), so that the bulk and the tail show;
* **reference quantiles**: the current window's share in each of the reference's 10% bins
  (the bins PSI uses). The reference is flat at 10% by construction, so any bar away from the
  line is a shift, in the units the statistic uses, and readable for any skew.

Categories (and low-cardinality numerics) get grouped bars of value shares on a square-root
axis (equal heights of change there are roughly equal Cohen's h, the statistic used, so a rare
flag going 1% -> 6% is visible next to a 94% bar), each bar labelled with its share.
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ml_reporting_monitoring.drift import statistics as st
from ml_reporting_monitoring.drift.distribution import value_counts
from ml_reporting_monitoring.drift.summary import FeatureDrift

REFERENCE_COLOR, CURRENT_COLOR = "tab:blue", "tab:orange"
STATUS_COLOR = {"drift": "#b00020", "watch": "#8a6d00", "ok": "#2e7d32"}
MAX_CATEGORIES = 25


def _short(value: float) -> str:
    """Tick label that fits: 1234567 -> 1.23M, 0.01234 -> 0.0123."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _skewed_positive(values: np.ndarray) -> bool:
    if len(values) == 0 or values.min() <= 0:
        return False
    p50, p99 = np.quantile(values, [0.5, 0.99])
    return bool(p99 / p50 > 10)


def _value_panel(axis: plt.Axes, ref: np.ndarray, cur: np.ndarray) -> None:
    both = np.concatenate([ref, cur])
    low, high = np.quantile(both, [0.001, 0.999])
    if _skewed_positive(both):
        edges = np.geomspace(low, high, 31)
        axis.set_xscale("log")
    elif np.all(both == np.round(both)) and 0 < high - low <= 120:
        edges = np.arange(low - 0.5, high + 1.5)  # one bin per integer: no aliasing stripes
    else:
        edges = np.linspace(low, high, 31) if high > low else np.array([low - 0.5, low + 0.5])
    for values, color, label in ((ref, REFERENCE_COLOR, "reference"),
                                 (cur, CURRENT_COLOR, "current")):  # fmt: skip
        # Values outside the 0.1-99.9% range go into the end bins instead of vanishing.
        shares = np.histogram(np.clip(values, edges[0], edges[-1]), edges)[0] / len(values)
        axis.stairs(shares, edges, color=color, label=label, linewidth=1.8)
    axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_ylabel("share of rows")
    axis.set_xlabel("value" + (" (log scale)" if axis.get_xscale() == "log" else ""))
    axis.legend(fontsize="small", loc="best")


def _quantile_panel(axis: plt.Axes, ref: np.ndarray, cur: np.ndarray, bins: int = 10) -> None:
    ref, cur = np.sort(ref), np.sort(cur)
    edges = st.quantile_edges(ref, bins)  # the bins PSI uses
    inner = edges[1:-1]
    ref_share, cur_share = st.binned_shares(ref, edges), st.binned_shares(cur, edges)
    positions = np.arange(len(ref_share))
    axis.bar(positions, cur_share, color=CURRENT_COLOR, alpha=0.8, label="current")
    axis.step(np.append(positions, positions[-1] + 1) - 0.5,
              np.append(ref_share, ref_share[-1]), where="post",
              color=REFERENCE_COLOR, label="reference")  # fmt: skip
    labels = [f"<{_short(inner[0])}"] if len(inner) else ["all"]
    labels += [f"{_short(a)}-{_short(b)}" for a, b in itertools.pairwise(inner)]
    labels += [f">={_short(inner[-1])}"] if len(inner) else []
    axis.set_xticks(positions[: len(labels)], labels[: len(positions)], rotation=45,
                    ha="right", fontsize="x-small")  # fmt: skip
    axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_xlabel("reference decile bins (value range)")
    axis.legend(fontsize="small", loc="lower right", framealpha=0.9)


def _no_values(axis: plt.Axes, text: str) -> None:
    """An empty panel that says why, so the report keeps one figure per feature."""
    axis.text(0.5, 0.5, text, ha="center", va="center", transform=axis.transAxes)
    axis.set_xticks([])
    axis.set_yticks([])


def _category_panel(
    axis: plt.Axes, reference: pd.Series, current: pd.Series, numeric: bool
) -> None:
    def shares(values: pd.Series) -> pd.Series:
        counts = value_counts(values, "discrete" if numeric else "categorical")
        return counts / max(counts.sum(), 1)

    frame = pd.DataFrame({"reference": shares(reference), "current": shares(current)})
    if frame.empty:  # null in both windows: the statistics say "not compared", nothing to draw
        _no_values(axis, "no values in either window")
        return
    frame = frame.fillna(0.0)
    new = frame["reference"] == 0
    if numeric:  # flags, counts, hours: in their natural order
        frame = frame.sort_index()
    else:  # new values first, then the largest
        order = frame.max(axis=1) + new
        frame = frame.loc[order.sort_values(ascending=False).index]
    frame = frame.head(MAX_CATEGORIES)
    positions = np.arange(len(frame))
    for offset, column, color in ((-0.2, "reference", REFERENCE_COLOR),
                                  (0.2, "current", CURRENT_COLOR)):  # fmt: skip
        bars = axis.bar(positions + offset, frame[column], 0.4, color=color, label=column)
        if len(frame) <= 12:
            axis.bar_label(bars, [f"{100 * v:.1f}%" for v in frame[column]], fontsize="x-small")
    names = [
        (f"{v:g}" if isinstance(v, float) else str(v)) + (" (new)" if new[v] else "")
        for v in frame.index
    ]
    axis.set_xticks(positions, names, rotation=45, ha="right", fontsize="small")
    axis.set_yscale("function", functions=(np.sqrt, np.square))
    axis.set_ylim(0, min(1.0, 1.15 * float(frame.to_numpy().max())))
    axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_ylabel("share of non-null rows (sqrt axis)")
    axis.legend(fontsize="small", loc="best")


def feature_figure(feature: FeatureDrift, reference: pd.Series, current: pd.Series) -> plt.Figure:
    """One feature: status and reason in the title, the right panels for its kind."""
    numeric = feature.kind in ("continuous", "score")
    figure, axes = plt.subplots(1, 2 if numeric else 1, figsize=(11 if numeric else 8, 3.2))
    if numeric:
        ref = reference.dropna().to_numpy(dtype=float)
        cur = current.dropna().to_numpy(dtype=float)
        if min(len(ref), len(cur)) > 0:
            _value_panel(axes[0], ref, cur)
            _quantile_panel(axes[1], ref, cur)
        else:
            for axis in axes:
                _no_values(axis, "no non-null values to plot")
    else:
        _category_panel(axes, reference, current, numeric=feature.kind == "discrete")
    missing = feature.missing
    title = f"{feature.feature} [{feature.kind}]: {feature.status.upper()}"
    if feature.statistic:
        title += (
            f" - distribution {feature.distribution_status}: {feature.statistic} "
            f"{feature.value:.3g} (threshold {feature.threshold:g})"
        )
    if missing is not None:
        title += (
            f"; missing {100 * missing.reference:.1f}% -> {100 * missing.current:.1f}% "
            f"({missing.status})"
        )
    figure.suptitle(title, color=STATUS_COLOR.get(feature.status, "black"), fontsize="medium")
    figure.tight_layout()
    return figure


def missing_share_figure(features: list[FeatureDrift]) -> plt.Figure:
    """Missing-value share per feature, reference vs current, flagged ones in red."""
    rows = [f for f in features if f.missing is not None]
    shares = [f.missing for f in rows if f.missing is not None]  # the rows' shares, not None
    figure, axis = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    positions = np.arange(len(rows))
    axis.barh(positions + 0.2, [m.reference for m in shares], 0.4,
              color=REFERENCE_COLOR, label="reference")  # fmt: skip
    colors = [STATUS_COLOR["drift"] if m.status == "drift" else CURRENT_COLOR
              for m in shares]  # fmt: skip
    axis.barh(positions - 0.2, [m.current for m in shares], 0.4, color=colors,
              label="current (red: flagged)")  # fmt: skip
    axis.set_yticks(positions, [f.feature for f in rows])
    axis.invert_yaxis()
    axis.xaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_xlim(0, max([0.05, *(max(m.reference, m.current) for m in shares)]))
    axis.set_xlabel("share of rows with a missing value")
    axis.legend(fontsize="small", loc="lower right")
    figure.tight_layout()
    return figure
