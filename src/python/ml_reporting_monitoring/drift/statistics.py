"""Drift statistics for one feature: PSI on shared bins, Kolmogorov-Smirnov, chi-square.

Bins come from the *reference* (training) window's quantiles so that the same cut points are
used for every later window; an empty bin gets a small floor instead of producing infinite
PSI, which would otherwise page someone for a single unseen category.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

EPSILON = 1e-4


@dataclass(frozen=True)
class DriftResult:
    feature: str
    kind: str  # "numeric" or "categorical"
    psi: float
    p_value: float  # KS for numeric, chi-square for categorical

    def drifted(self, psi_threshold: float = 0.2, p_threshold: float = 0.01) -> bool:
        return self.psi >= psi_threshold and self.p_value < p_threshold


def _psi(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    ref = np.clip(ref_share, EPSILON, None)
    cur = np.clip(cur_share, EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def numeric_drift(
    name: str, reference: pd.Series, current: pd.Series, bins: int = 10
) -> DriftResult:
    ref = reference.dropna().to_numpy(dtype=float)
    cur = current.dropna().to_numpy(dtype=float)
    if len(ref) == 0 or len(cur) == 0:
        raise ValueError(f"feature '{name}': reference and current windows need non-null values")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    ref_share = np.histogram(ref, edges)[0] / len(ref)
    cur_share = np.histogram(cur, edges)[0] / len(cur)
    p_value = float(stats.ks_2samp(ref, cur).pvalue)
    return DriftResult(name, "numeric", _psi(ref_share, cur_share), p_value)


def categorical_drift(name: str, reference: pd.Series, current: pd.Series) -> DriftResult:
    ref_counts = reference.fillna("<null>").astype(str).value_counts()
    cur_counts = current.fillna("<null>").astype(str).value_counts()
    categories = ref_counts.index.union(cur_counts.index)
    ref_c = ref_counts.reindex(categories, fill_value=0).to_numpy(dtype=float)
    cur_c = cur_counts.reindex(categories, fill_value=0).to_numpy(dtype=float)
    psi = _psi(ref_c / ref_c.sum(), cur_c / cur_c.sum())
    table = np.vstack([ref_c, cur_c]) + 0.5  # continuity for categories seen on one side only
    p_value = float(stats.chi2_contingency(table)[1])
    return DriftResult(name, "categorical", psi, p_value)


def frame_drift(reference: pd.DataFrame, current: pd.DataFrame) -> list[DriftResult]:
    """Drift of every column the two windows share, numeric or categorical by dtype."""
    results = []
    for column in reference.columns.intersection(current.columns):
        if pd.api.types.is_numeric_dtype(reference[column]):
            results.append(numeric_drift(column, reference[column], current[column]))
        else:
            results.append(categorical_drift(column, reference[column], current[column]))
    return results
