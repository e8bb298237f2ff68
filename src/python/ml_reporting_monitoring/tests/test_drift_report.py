"""The drift report a person reads: why each feature was flagged, missing shares, and plots
that show skewed data (the score plot used to be an empty frame: scores pile up near 0)."""

from typing import cast

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle, StepPatch

from ml_reporting_monitoring.config import DriftThresholds
from ml_reporting_monitoring.drift.summary import calculate_drift
from ml_reporting_monitoring.reports.drift_plots import feature_figure
from ml_reporting_monitoring.reports.drift_report import write_drift_report
from ml_reporting_monitoring.testing.synthetic_data import PLANTED_SHIFTS, planted_frame


def _with_scores(frame: pd.DataFrame, seed: int, lift: float) -> pd.DataFrame:
    """Fraud-like scores: median ~0.003, a long tail towards 1."""
    rng = np.random.default_rng(seed)
    logit = -6.0 + 1.5 * rng.normal(size=len(frame)) + lift * frame["is_foreign"]
    return frame.assign(score=1 / (1 + np.exp(-logit)))


def test_scores_piled_up_near_zero_get_a_log_axis_with_visible_bars() -> None:
    reference = _with_scores(planted_frame(20_000, seed=1), seed=1, lift=0.0)
    current = _with_scores(planted_frame(5_000, seed=2), seed=2, lift=3.0)
    summary = calculate_drift(reference, current, model="m", thresholds=DriftThresholds(),
                              features=["amount"], score="score")  # fmt: skip
    assert summary.prediction is not None
    figure = feature_figure(summary.prediction, reference["score"], current["score"])
    values, quantiles = figure.axes[:2]
    assert values.get_xscale() == "log"
    # The two step lines. StepPatch.get_data() returns a StairData named tuple; matplotlib's
    # annotation says a plain tuple.
    heights = [cast(StepPatch, patch).get_data().values.max() for patch in values.patches]  # type: ignore[attr-defined]
    assert len(heights) == 2 and min(heights) > 0.03  # bars a person can see, not one spike
    assert values.get_ylim()[1] < 1.0  # shares, not a density axis running to thousands
    current_bars = [cast(Rectangle, bar).get_height() for bar in quantiles.patches]
    assert len(current_bars) == 10 and max(current_bars) > 0.1  # the tail bins gained rows


def test_report_says_why_each_feature_was_flagged_and_shows_missing_shares(tmp_path) -> None:
    reference = _with_scores(planted_frame(20_000, seed=11), seed=1, lift=0.0)
    current = planted_frame(5_000, seed=12, shifts=frozenset(PLANTED_SHIFTS))
    current = _with_scores(current, seed=2, lift=0.0)
    features = [c for c in reference.columns if c != "score"]
    summary = calculate_drift(reference, current, model="fraud_detection_xgboost",
                              thresholds=DriftThresholds(), features=features, score="score")  # fmt: skip
    html = write_drift_report(summary, reference, current, tmp_path / "r.html").read_text()
    assert "ALERT: drift found." in html and "Missing values" in html
    # The reason names the signal that flagged, first, with its numbers.
    assert "device_risk: missing share 0.9% -&gt; 6" in html
    assert "amount: wasserstein_normed 0." in html and "is_foreign: cohens_h 0." in html
    assert "new values: 1" in html  # card_present: constant 0 -> constant 1
    assert html.count('<tr class="drift">') == len(PLANTED_SHIFTS)
    # one missing-share chart, one figure per feature, one for the scores
    assert html.count("data:image/png;base64,") == 1 + len(features) + 1


def test_a_feature_null_in_both_windows_gets_an_empty_panel_not_a_crash() -> None:
    """Statistics report it as not compared; the plot used to take max() of an empty frame."""
    thresholds = DriftThresholds()
    for nulls in (pd.Series([None] * 100, dtype=object), pd.Series([np.nan] * 100)):
        frame = pd.DataFrame({"note": nulls, "amount": np.arange(100.0)})
        summary = calculate_drift(frame, frame, model="m", thresholds=thresholds,
                                  features=["note"])  # fmt: skip
        feature = summary.features[0]
        assert feature.status == "ok" and feature.reason.startswith("not compared")
        figure = feature_figure(feature, frame["note"], frame["note"])
        texts = [t.get_text() for axis in figure.axes for t in axis.texts]
        assert texts == ["no values in either window"]
