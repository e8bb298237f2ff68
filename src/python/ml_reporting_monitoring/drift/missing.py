"""The missing-value share of a feature as a drift signal of its own.

A feature pipeline that breaks upstream rarely sends wrong values; it sends none. The
distribution tests drop nulls before comparing, so without this signal a feature that
arrives empty for 80% of rows looks unchanged. The share change is judged by Cohen's h (a
variance-stabilised difference of proportions: 0% -> 1% and 10% -> 17% are both h = 0.2),
gated by a two-proportion z-test so that small windows do not page on noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ml_reporting_monitoring.config import DriftThresholds
from ml_reporting_monitoring.drift import statistics as st


@dataclass(frozen=True)
class MissingShare:
    reference: float  # share of rows with a null, 0..1
    current: float
    cohens_h: float  # signed: positive when more values are missing now
    p_value: float
    status: str  # "drift", "watch" or "ok"

    @property
    def detail(self) -> str:
        return (
            f"missing share {100 * self.reference:.1f}% -> {100 * self.current:.1f}% "
            f"(Cohen's h {self.cohens_h:+.2f}, p {self.p_value:.2g})"
        )


def missing_share(
    reference: pd.Series, current: pd.Series, thresholds: DriftThresholds
) -> MissingShare:
    k_ref, n_ref = int(reference.isna().sum()), len(reference)
    k_cur, n_cur = int(current.isna().sum()), len(current)
    ref_share = k_ref / n_ref if n_ref else 0.0
    cur_share = k_cur / n_cur if n_cur else 0.0
    h = float(st.cohens_h(ref_share, cur_share))
    p_value = st.two_proportion_p_value(k_ref, n_ref, k_cur, n_cur)
    status = "ok"
    if p_value < thresholds.p_value_threshold:
        if abs(h) >= thresholds.missing_share_threshold:
            status = "drift"
        elif abs(h) >= thresholds.missing_share_warning:
            status = "watch"
    return MissingShare(ref_share, cur_share, h, p_value, status)
