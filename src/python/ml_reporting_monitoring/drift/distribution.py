"""Distribution drift of one feature, by feature type and cardinality.

| kind | when | effect sizes (any at its threshold) | test |
|---|---|---|---|
| ``continuous`` | numeric, more than ``max_discrete_values`` distinct reference values | normalised Wasserstein; PSI on reference-quantile bins | KS |
| ``discrete`` | numeric with few distinct values (flags, counts, hours) | PSI on value shares; Cohen's h of each value's share; normalised Wasserstein over the values (3+ values) | chi-square |
| ``categorical`` | anything else | as ``discrete`` | chi-square |

The Wasserstein term catches a diffuse but ordered move that no single value's share shows:
15 points more transactions at night spread over six hours is h 0.11 and PSI 0.10 (neither
at its threshold) but normalised W1 0.26.

Discrete numerics are compared on their distinct values because reference quantiles of a
0/1 column collapse into one bin ``(-inf, inf)``: every window then has PSI 0. Comparing the
value *sets* also flags a column that is constant in both windows but with another value
(0 -> 1: Cohen's h = pi). Nulls are left out here; their share is its own signal
(``drift.missing``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml_reporting_monitoring.config import DriftThresholds
from ml_reporting_monitoring.drift import statistics as st

# Display names of the statistics (JSON, gauges' ``statistic`` label, reports).
WASSERSTEIN = "wasserstein_normed"
PSI = "psi"
SHARE_SHIFT = "cohens_h"


@dataclass(frozen=True)
class Effect:
    """One effect size with the thresholds it is judged by."""

    statistic: str
    value: float
    threshold: float
    warning: float

    @property
    def ratio(self) -> float:
        return self.value / self.threshold


@dataclass(frozen=True)
class DistributionDrift:
    feature: str
    kind: str  # "continuous", "discrete", "categorical" (or "score" for predictions)
    test: str  # "ks", "chi2" or "none" (too few values to compare)
    p_value: float
    effects: tuple[Effect, ...]
    detail: str  # what moved, in words a person checks against the plot
    reference_values: int  # non-null values compared
    current_values: int

    @property
    def strongest(self) -> Effect | None:
        """The effect closest to (or furthest past) its threshold: the one that explains."""
        return max(self.effects, key=lambda e: e.ratio, default=None)

    @property
    def psi(self) -> float:
        return next((e.value for e in self.effects if e.statistic == PSI), 0.0)

    def status(self, p_value_threshold: float) -> str:
        if self.p_value >= p_value_threshold:
            return "ok"
        if any(e.value >= e.threshold for e in self.effects):
            return "drift"
        if any(e.value >= e.warning for e in self.effects):
            return "watch"
        return "ok"


def column_kind(reference: pd.Series, current: pd.Series, max_discrete_values: int) -> str:
    """``continuous``, ``discrete`` or ``categorical``, decided by the reference window so
    that a feature keeps its test from one check to the next."""
    numeric = pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(current)
    if not numeric or pd.api.types.is_bool_dtype(reference):
        return "categorical"
    # Counting the distinct values of 1M floats costs seconds; a prefix with more distinct
    # values than allowed already decides, and few-valued columns count fast.
    if reference.iloc[:5_000].nunique() > max_discrete_values:
        return "continuous"
    return "discrete" if reference.nunique() <= max_discrete_values else "continuous"


def value_counts(values: pd.Series, kind: str) -> pd.Series:
    """Counts per distinct non-null value; discrete numerics as floats (a null turns an int
    column float: 1 and 1.0 are one value), anything else by its text. Counting before
    converting keeps 1M-row windows fast (only the distinct values are converted)."""
    counts = values.value_counts(dropna=True)
    counts.index = counts.index.astype(float) if kind == "discrete" else counts.index.astype(str)
    return counts.groupby(level=0).sum()


def _label(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def categorical_drift(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    thresholds: DriftThresholds,
    kind: str = "categorical",
) -> DistributionDrift:
    """Value shares of the non-null values: PSI, largest per-value Cohen's h, chi-square."""
    ref_counts, cur_counts = value_counts(reference, kind), value_counts(current, kind)
    ref_n, cur_n = int(ref_counts.sum()), int(cur_counts.sum())
    if min(ref_n, cur_n) < thresholds.min_values:
        return _not_compared(name, kind, ref_n, cur_n, thresholds)
    values = ref_counts.index.union(cur_counts.index).sort_values()
    ref_c = ref_counts.reindex(values, fill_value=0).to_numpy(dtype=float)
    cur_c = cur_counts.reindex(values, fill_value=0).to_numpy(dtype=float)
    ref_share, cur_share = ref_c / ref_c.sum(), cur_c / cur_c.sum()
    h = st.cohens_h(ref_share, cur_share)
    # Largest |h|; on a tie (a binary column's two values) the rarer value reads better.
    top = int(np.argmax(np.round(np.abs(h), 9) - 1e-12 * np.maximum(ref_share, cur_share)))
    detail = (
        f"share of '{_label(values[top])}' {_percent(ref_share[top])} -> "
        f"{_percent(cur_share[top])}"
    )
    new = [_label(v) for v, c in zip(values, ref_c, strict=True) if c == 0]
    gone = [_label(v) for v, c in zip(values, cur_c, strict=True) if c == 0]
    if new:
        detail += f"; new values: {', '.join(new[:5])}{' ...' if len(new) > 5 else ''}"
    if gone:
        detail += f"; values gone: {', '.join(gone[:5])}{' ...' if len(gone) > 5 else ''}"
    effects: tuple[Effect, ...] = (
        Effect(PSI, st.psi(ref_share, cur_share), thresholds.psi_threshold,
               thresholds.psi_warning),
        Effect(SHARE_SHIFT, float(abs(h[top])), thresholds.share_shift_threshold,
               thresholds.share_shift_warning),
    )  # fmt: skip
    if kind == "discrete" and (ref_c > 0).sum() > 2:  # ordered values: how far mass moved
        ordinal = st.discrete_normalised_wasserstein(values.to_numpy(dtype=float), ref_share,
                                                     cur_share)  # fmt: skip
        effects += (Effect(WASSERSTEIN, ordinal, thresholds.wasserstein_threshold,
                           thresholds.wasserstein_warning),)  # fmt: skip
    p_value = st.chi_square_p_value(ref_c, cur_c)
    return DistributionDrift(name, kind, "chi2", p_value, effects, detail, ref_n, cur_n)


def continuous_drift(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    thresholds: DriftThresholds,
    kind: str = "continuous",
    psi_threshold: float | None = None,
) -> DistributionDrift:
    """Normalised Wasserstein and PSI on reference-quantile bins, gated by KS."""
    ref = np.sort(reference.dropna().to_numpy(dtype=float))
    cur = np.sort(current.dropna().to_numpy(dtype=float))
    if min(len(ref), len(cur)) < thresholds.min_values:
        return _not_compared(name, kind, len(ref), len(cur), thresholds)
    edges = st.quantile_edges(ref, thresholds.bins)
    psi_value = st.psi(st.binned_shares(ref, edges), st.binned_shares(cur, edges))
    w1, d = st.ecdf_distances(ref, cur)
    effects = (
        Effect(WASSERSTEIN, st.normalised_wasserstein(w1, ref),
               thresholds.wasserstein_threshold, thresholds.wasserstein_warning),
        Effect(PSI, psi_value, psi_threshold or thresholds.psi_threshold,
               thresholds.psi_warning),
    )  # fmt: skip
    q_ref, q_cur = np.quantile(ref, [0.5, 0.9]), np.quantile(cur, [0.5, 0.9])
    detail = (
        f"median {q_ref[0]:.4g} -> {q_cur[0]:.4g}, p90 {q_ref[1]:.4g} -> {q_cur[1]:.4g}, "
        f"mean {ref.mean():.4g} -> {cur.mean():.4g}"
    )
    p_value = st.ks_p_value(d, ref, cur)
    return DistributionDrift(name, kind, "ks", p_value, effects, detail, len(ref), len(cur))


def _not_compared(
    name: str, kind: str, ref_n: int, cur_n: int, thresholds: DriftThresholds
) -> DistributionDrift:
    """A comparison on a handful of values says nothing; the missing share still reports."""
    detail = (
        f"not compared: {ref_n} reference and {cur_n} current non-null values "
        f"(needs {thresholds.min_values} each)"
    )
    return DistributionDrift(name, kind, "none", 1.0, (), detail, ref_n, cur_n)


def feature_drift(
    name: str, reference: pd.Series, current: pd.Series, thresholds: DriftThresholds
) -> DistributionDrift:
    """The comparison that fits the column's type and cardinality."""
    kind = column_kind(reference, current, thresholds.max_discrete_values)
    if kind == "continuous":
        return continuous_drift(name, reference, current, thresholds)
    return categorical_drift(name, reference, current, thresholds, kind=kind)
