import numpy as np
import pandas as pd
import pytest

from ml_model_development.common_ml_utils.data_schemas.training_data_contract import (
    TrainingDataContract,
    TrainingDataError,
)
from mlops_common.contracts.features import CHURN


@pytest.fixture
def good() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({"user_id": np.arange(n), "event_timestamp": pd.Timestamp("2026-01-01")})
    for spec in CHURN.features:
        frame[spec.name] = (
            rng.choice(["basic", "premium"], n) if spec.dtype == "string" else rng.random(n)
        )
    frame[CHURN.label] = rng.integers(0, 2, n)
    return frame


@pytest.fixture
def contract() -> TrainingDataContract:
    return TrainingDataContract(contract=CHURN)


def test_good_frame_passes(contract: TrainingDataContract, good: pd.DataFrame) -> None:
    assert contract.validate_frame(good) is good


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda f: f.drop(columns=[CHURN.label]), "label column 'churned' is missing"),
        (lambda f: f.assign(churned=np.nan), "label 'churned' has 60 null values"),
        (lambda f: f.assign(logins_30d=np.nan), "feature 'logins_30d' is entirely null"),
        (lambda f: f.assign(spend_30d="12.5"), "feature 'spend_30d' must be numeric"),
        (lambda f: f.assign(plan=1.0), "feature 'plan' must be string"),
        (lambda f: f.drop(columns=["age"]), "feature 'age' is missing"),
        (lambda f: f.assign(churned_at=pd.Timestamp("2026-02-01")), "leakage column 'churned_at'"),
        (lambda f: f.assign(future_flag=f[CHURN.label]), "leakage column 'future_flag' duplicates"),
        (lambda f: f.assign(churned=0), "single class"),
        (lambda f: f.head(5), "only 5 rows"),
    ],
    ids=[
        "label-missing",
        "label-null",
        "all-null",
        "wrong-dtype-num",
        "wrong-dtype-str",
        "feature-missing",
        "leakage-known",
        "leakage-copy",
        "one-class",
        "too-few",
    ],
)
def test_bad_frames_are_refused_with_a_message(contract, good, breakage, expected) -> None:
    with pytest.raises(TrainingDataError) as err:
        contract.validate_frame(breakage(good))
    assert expected in str(err.value)
    assert "customer_churn_lightgbm" in str(err.value)
