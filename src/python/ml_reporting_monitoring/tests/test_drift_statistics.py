"""The statistics against independent implementations (scipy, numpy) and known values."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ml_reporting_monitoring.config import DriftThresholds
from ml_reporting_monitoring.drift import statistics as st
from ml_reporting_monitoring.drift.distribution import (
    categorical_drift,
    column_kind,
    continuous_drift,
    feature_drift,
)
from ml_reporting_monitoring.drift.missing import missing_share

THRESHOLDS = DriftThresholds()


@pytest.mark.parametrize("sizes", [(1_000, 1_000), (20_000, 5_000), (3, 50)])
def test_wasserstein_and_ks_match_scipy(sizes) -> None:
    rng = np.random.default_rng(sum(sizes))
    a, b = rng.lognormal(3.5, 1.0, sizes[0]), rng.lognormal(3.7, 1.2, sizes[1])
    w1, d = st.ecdf_distances(np.sort(a), np.sort(b))
    assert w1 == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9)
    assert d == pytest.approx(stats.ks_2samp(a, b).statistic, rel=1e-9)
    p_asymp = stats.ks_2samp(a, b, method="asymp").pvalue
    assert st.ks_p_value(d, a, b) == pytest.approx(p_asymp, rel=0.1, abs=1e-12)


def test_binned_shares_match_numpy_histogram() -> None:
    rng = np.random.default_rng(3)
    ref, cur = np.sort(rng.normal(size=5_000)), np.sort(rng.normal(0.3, 1.0, 2_000))
    edges = st.quantile_edges(ref, 10)
    assert len(edges) == 11 and np.isinf(edges[[0, -1]]).all()
    expected = np.histogram(cur, edges)[0] / len(cur)
    assert np.allclose(st.binned_shares(cur, edges), expected)


def test_cohens_h_is_the_same_effect_for_rare_and_common_shares() -> None:
    assert float(st.cohens_h(0.0, 0.01)) == pytest.approx(0.2003, abs=1e-4)
    assert float(st.cohens_h(0.10, 0.1676)) == pytest.approx(0.2, abs=0.001)
    assert float(st.cohens_h(0.50, 0.599)) == pytest.approx(0.2, abs=0.001)
    assert float(st.cohens_h(0.01, 0.06)) == pytest.approx(0.295, abs=0.001)
    assert float(st.cohens_h(0.0, 1.0)) == pytest.approx(np.pi)
    assert float(st.cohens_h(0.06, 0.01)) < 0  # signed: a falling share is negative


def test_psi_is_finite_when_a_bin_empties() -> None:
    ref = pd.Series(np.arange(1000, dtype=float))
    result = continuous_drift("x", ref, pd.Series(np.full(200, 5.0)), THRESHOLDS)
    assert np.isfinite(result.psi) and result.psi > 1.0
    assert result.status(0.01) == "drift"


def test_two_proportion_p_value_against_chi_square() -> None:
    table = np.array([[30, 970], [60, 940]])
    expected = stats.chi2_contingency(table, correction=False)[1]
    assert st.two_proportion_p_value(30, 1000, 60, 1000) == pytest.approx(expected)
    assert st.two_proportion_p_value(0, 100, 0, 50) == 1.0


def test_feature_kind_follows_type_and_reference_cardinality() -> None:
    rng = np.random.default_rng(4)
    flag = pd.Series(rng.integers(0, 2, 500))
    assert column_kind(flag, flag, 25) == "discrete"
    hours = pd.Series(rng.integers(0, 24, 500))
    assert column_kind(hours, hours, 25) == "discrete"
    ages = pd.Series(rng.integers(18, 90, 5_000))
    assert column_kind(ages, ages, 25) == "continuous"
    assert column_kind(pd.Series(["a", "b"] * 50), pd.Series(["a"] * 10), 25) == "categorical"
    assert column_kind(pd.Series([True, False] * 50), pd.Series([True] * 10), 25) == "categorical"


def test_a_constant_column_that_changes_value_is_flagged() -> None:
    result = feature_drift("card_present", pd.Series([0] * 500), pd.Series([1] * 400), THRESHOLDS)
    assert result.kind == "discrete" and result.status(0.01) == "drift"
    effects = {e.statistic: e.value for e in result.effects}
    assert effects["cohens_h"] == pytest.approx(np.pi) and effects["psi"] > 10
    assert "new values: 1" in result.detail and "values gone: 0" in result.detail


def test_a_six_fold_rare_flag_is_flagged_although_psi_stays_low() -> None:
    rng = np.random.default_rng(5)
    ref = pd.Series((rng.random(20_000) < 0.01).astype(int))
    cur = pd.Series((rng.random(5_000) < 0.06).astype(int))
    result = categorical_drift("is_foreign", ref, cur, THRESHOLDS, kind="discrete")
    assert result.psi < THRESHOLDS.psi_threshold  # PSI alone would have said "ok"
    assert result.strongest is not None
    assert result.status(0.01) == "drift" and result.strongest.statistic == "cohens_h"
    assert "share of '1' 1.0% -> 6." in result.detail


def test_one_int_and_one_float_window_compare_on_the_same_values() -> None:
    ref = pd.Series([0, 1] * 500)
    cur = pd.Series([0.0, 1.0, np.nan] * 300)  # a null turns the column float
    result = categorical_drift("flag", ref, cur, THRESHOLDS, kind="discrete")
    assert result.status(0.01) == "ok" and "new values" not in result.detail


def test_too_few_values_are_not_compared_but_the_missing_share_is() -> None:
    ref = pd.Series(np.random.default_rng(6).normal(size=2_000))
    cur = pd.Series([np.nan] * 995 + [0.1] * 5)
    result = feature_drift("device_risk", ref, cur, THRESHOLDS)
    assert result.test == "none" and result.effects == () and "not compared" in result.detail
    missing = missing_share(ref, cur, THRESHOLDS)
    assert (missing.reference, missing.current) == (0.0, 0.995)
    assert missing.status == "drift" and missing.cohens_h > 2.5


def test_missing_share_noise_is_not_a_signal() -> None:
    rng = np.random.default_rng(7)
    ref = pd.Series(np.where(rng.random(1_000) < 0.1, np.nan, 1.0))
    cur = pd.Series(np.where(rng.random(1_000) < 0.1, np.nan, 1.0))
    assert missing_share(ref, cur, THRESHOLDS).status == "ok"


def test_discrete_wasserstein_matches_scipy_on_the_expanded_samples() -> None:
    rng = np.random.default_rng(8)
    ref, cur = rng.poisson(3.0, 4_000), rng.poisson(3.6, 3_000)
    values = np.union1d(ref, cur).astype(float)
    ref_share = np.array([(ref == v).mean() for v in values])
    cur_share = np.array([(cur == v).mean() for v in values])
    expected = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert st.discrete_normalised_wasserstein(values, ref_share, cur_share) == pytest.approx(
        expected
    )


def test_a_diffuse_move_of_hours_to_the_night_is_flagged_by_its_order() -> None:
    rng = np.random.default_rng(9)
    ref = pd.Series(rng.integers(0, 24, 20_000))
    night = rng.random(5_000) < 0.40  # 25% -> 40% of transactions between 0 and 5 h
    cur = pd.Series(np.where(night, rng.integers(0, 6, 5_000), rng.integers(6, 24, 5_000)))
    result = feature_drift("hour_of_day", ref, cur, THRESHOLDS)
    effects = {e.statistic: e.value for e in result.effects}
    assert effects["cohens_h"] < 0.2 and effects["psi"] < 0.2  # no single hour moved enough
    assert result.strongest is not None
    assert result.status(0.001) == "drift" and result.strongest.statistic == "wasserstein_normed"
