"""Holdout splits without MLflow: which rows each strategy holds out, and the errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_model_development.common_ml_utils.holdout import (
    HoldoutError,
    HoldoutRecord,
    entity_bucket,
    iso,
    split_frame,
)
from ml_model_development.common_ml_utils.promotion_window import choose_window
from ml_model_development.common_ml_utils.settings import TrainingSettings
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings
from mlops_common.contracts.features import CHURN, FRAUD

START = pd.Timestamp("2026-01-01", tz="UTC")


def frame(days: int = 30, rows: int = 900, users: int = 150, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = (rng.random(rows) < 0.2).astype(int)
    return pd.DataFrame(
        {
            "transaction_id": np.arange(rows),
            "user_id": rng.integers(1, users + 1, rows),
            "event_timestamp": START + pd.to_timedelta(rng.integers(0, days * 86_400, rows), "s"),
            FRAUD.label: label,
            CHURN.label: label,
        }
    )


def test_defaults_per_model() -> None:
    assert FraudTrainingSettings().holdout_strategy == "out_of_time"
    assert ChurnTrainingSettings().holdout_strategy == "entity"
    assert TrainingSettings().holdout_days == 7.0


def test_out_of_time_holds_out_the_last_days() -> None:
    data = frame()
    split = split_frame(data, FraudTrainingSettings(holdout_days=5), FRAUD)
    record = split.record
    assert record.data_cutoff == data["event_timestamp"].max() - pd.Timedelta(days=5)
    assert split.train["event_timestamp"].max() <= record.data_cutoff
    assert split.holdout["event_timestamp"].min() > record.data_cutoff
    assert len(split.train) + len(split.holdout) == len(data)
    assert record.tags()["holdout_strategy"] == "out_of_time"
    assert record.tags()["data_cutoff"] == iso(record.data_cutoff)
    assert HoldoutRecord.from_tags(record.tags()) == record


def test_entity_group_is_stable_and_nested() -> None:
    data = frame()
    split = split_frame(data, ChurnTrainingSettings(holdout_entity_share=0.3), CHURN)
    held, trained = set(split.holdout["user_id"]), set(split.train["user_id"])
    assert held and trained and not held & trained
    # the same users on other data and in another order: the hash, not the frame, decides
    shuffled = frame(rows=400, seed=9).sample(frac=1.0, random_state=1)
    again = split_frame(shuffled, ChurnTrainingSettings(holdout_entity_share=0.3), CHURN)
    common = set(shuffled["user_id"]) & set(data["user_id"])
    assert set(again.holdout["user_id"]) & common == held & common
    smaller = entity_bucket(data["user_id"]) < 0.1
    assert set(data.loc[smaller, "user_id"]) < held


def test_random_split_is_still_available() -> None:
    data = frame()
    split = split_frame(data, FraudTrainingSettings(holdout_strategy="random"), FRAUD)
    assert len(split.holdout) == pytest.approx(0.25 * len(data), abs=1)
    # random: the holdout is spread over the whole period, not the last days
    assert split.holdout["event_timestamp"].min() < START + pd.Timedelta(days=5)
    assert split.record.holdout_strategy == "random"
    rebuilt = split.record.unseen(data, FRAUD.label)
    assert set(data.loc[rebuilt, "transaction_id"]) == set(split.holdout["transaction_id"])


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        (FraudTrainingSettings(holdout_days=40), "TRAINING_HOLDOUT_DAYS"),
        (FraudTrainingSettings(holdout_days=0.001), "TRAINING_HOLDOUT_DAYS"),
        (ChurnTrainingSettings(holdout_entity_share=0.001), "TRAINING_HOLDOUT_ENTITY_SHARE"),
    ],
)
def test_empty_or_single_class_holdout_says_how_to_fix(settings, needle) -> None:
    with pytest.raises(HoldoutError, match=needle):
        split_frame(frame(), settings, FRAUD if settings.holdout_strategy != "entity" else CHURN)


def test_window_after_both_cutoffs_and_legacy_champion() -> None:
    data = frame()
    old = split_frame(
        data[data["event_timestamp"] < START + pd.Timedelta(days=25)],
        FraudTrainingSettings(),
        FRAUD,
    ).record
    new = split_frame(data, FraudTrainingSettings(), FRAUD).record
    window = choose_window(data, FRAUD.label, new, old, "1")
    assert window.honest and window.rule == "out_of_time"
    assert old.data_cutoff is not None and new.data_cutoff is not None
    assert window.rows["event_timestamp"].min() > max(old.data_cutoff, new.data_cutoff)
    legacy = choose_window(data, FRAUD.label, new, HoldoutRecord(), "1")
    assert not legacy.honest and "no data_cutoff tag" in legacy.description
    assert legacy.n_rows == window.n_rows  # the challenger's unseen rows
