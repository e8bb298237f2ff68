import numpy as np
import pandas as pd

from ml_reporting_monitoring.bias.analysis import age_band, analyze_prediction_bias
from ml_reporting_monitoring.config import BiasThresholds


def _scored(n: int, seed: int, biased_country: str | None = None) -> pd.DataFrame:
    """Same label rate everywhere; optionally the model over-flags one country."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "country": rng.choice(["US", "GB", "DE"], n, p=[0.6, 0.2, 0.2]),
            "age": rng.integers(18, 80, n),
            "label": (rng.random(n) < 0.1).astype(int),
        }
    )
    noise = rng.normal(0, 0.25, n)
    frame["score"] = np.clip(0.15 + 0.6 * frame["label"] + noise, 0, 1)
    if biased_country:
        biased = frame["country"] == biased_country
        frame.loc[biased, "score"] = np.clip(frame.loc[biased, "score"] + 0.3, 0, 1)
    return frame


def test_over_flagged_segment_is_flagged_on_score_rate_and_fpr() -> None:
    frame = _scored(20_000, 0, biased_country="DE")
    frame["age_band"] = age_band(frame["age"])
    report = analyze_prediction_bias(frame, ["country", "age_band"])
    flagged = report.flagged_segments()
    assert flagged == {("country", "DE")}
    de = report.table.set_index(["segment_column", "segment"]).loc[("country", "DE")]
    assert de["reference"] == "US"
    assert de["score_rate_ratio"] > 1.25 and de["fpr_ratio"] > 1.25
    assert "fpr" in de["flagged_rates"].split(",")
    assert 0.8 <= de["label_rate_ratio"] <= 1.25


def test_fair_model_flags_nothing_and_small_segments_are_never_flagged() -> None:
    frame = _scored(40_000, 1)
    frame["age_band"] = age_band(frame["age"])
    assert analyze_prediction_bias(frame, ["country", "age_band"]).flagged.empty
    tiny = pd.concat([frame, pd.DataFrame({"country": ["XX"] * 5, "age": [30] * 5,
                                           "label": [0] * 5, "score": [0.99] * 5})])  # fmt: skip
    report = analyze_prediction_bias(
        tiny, ["country"], thresholds=BiasThresholds(min_segment_rows=30)
    )
    assert report.flagged.empty
    assert "XX" in set(report.table["segment"])
    assert report.to_dict()["flagged"] == []


def test_age_band_labels() -> None:
    assert list(age_band(pd.Series([18, 25, 49, 70]))) == ["0-24", "25-34", "35-49", "65+"]


def test_unlabelled_rows_count_in_the_score_rate_but_not_in_label_based_rates() -> None:
    """A null label (not known yet) is not a positive: ``astype(bool)`` made NaN True."""
    labelled = pd.DataFrame({"country": ["US"] * 100, "label": [1] * 10 + [0] * 90,
                             "score": [0.9] * 10 + [0.1] * 90})  # fmt: skip
    pending = pd.DataFrame({"country": ["US"] * 100, "label": [np.nan] * 100,
                            "score": [0.9] * 50 + [0.1] * 50})  # fmt: skip
    report = analyze_prediction_bias(pd.concat([labelled, pending]), ["country"])
    us = report.table.set_index("segment").loc["US"]
    assert us["score_rate"] == 0.3  # every row: 10 + 50 of 200 predicted positive
    assert us["label_rate"] == 0.1  # labelled rows only (was 0.55: the nulls counted as fraud)
    assert us["precision"] == 1.0 and us["recall"] == 1.0 and us["fpr"] == 0.0
    assert us["rows"] == 200 and us["unlabelled_rows"] == 100
    assert report.to_dict()["segments"][0]["unlabelled_rows"] == 100


def test_a_positive_rate_against_a_zero_reference_rate_is_flagged() -> None:
    """The reference segment flags nobody, another flags 40%: ratio inf, not NaN."""
    frame = pd.DataFrame(
        {
            "country": ["US"] * 200 + ["DE"] * 100 + ["GB"] * 100,
            "label": [0] * 400,
            "score": [0.1] * 200 + [0.9] * 40 + [0.1] * 60 + [0.1] * 100,
        }
    )
    report = analyze_prediction_bias(frame, ["country"])
    table = report.table.set_index("segment")
    assert table.loc["US", "score_rate"] == 0.0 and table.loc["DE", "score_rate"] == 0.4
    assert table.loc["DE", "score_rate_ratio"] == float("inf")
    assert set(table.loc["DE", "flagged_rates"].split(",")) == {"score_rate", "fpr"}
    # 0 against 0 is no disparity; an undefined rate (precision, nobody flagged) never flags
    assert table.loc["GB", "score_rate_ratio"] == 1.0 and not table.loc["GB", "flagged"]
    assert report.flagged_segments() == {("country", "DE")}
    segments = {s["segment"]: s for s in report.to_dict()["segments"]}
    assert segments["DE"]["score_rate_ratio"] == "inf"  # valid JSON: no Infinity
