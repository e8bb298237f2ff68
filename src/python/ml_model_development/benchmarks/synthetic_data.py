"""Seeded synthetic training data in a model contract's schema, and trainers that train on it.

The training benchmark needs millions of rows in each model's schema without a Feast repo: the
frame is generated from the contract (``mlops_common.contracts``) and handed to a subclass of
each model's trainer whose ``load()`` returns it, so everything else in ``run()`` is the
production path.
"""

from __future__ import annotations

from typing import TextIO

import numpy as np
import pandas as pd

from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.settings import TrainingSettings
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer
from mlops_common.contracts.features import ModelContract
from mlops_common.settings import PlatformSettings


def synthetic_frame(
    contract: ModelContract, rows: int, seed: int, positive_rate: float = 0.1
) -> pd.DataFrame:
    """Seeded frame with every contract feature, the label, join key and event time.

    Numeric features have ~2% missing values; the label depends on several features
    (non-linearly, plus a category effect) so the boosters have something to learn.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            contract.entity_join_key: rng.integers(1, max(rows // 5, 2), rows).astype(np.int64),
            "event_timestamp": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 90 * 86_400, rows), unit="s"),
        }
    )
    logit = np.zeros(rows)
    for i, spec in enumerate(contract.features):
        if spec.dtype == "string":
            categories = np.array([f"{spec.name[:3]}_{k}" for k in range(12)])
            codes = rng.integers(0, len(categories), rows)
            frame[spec.name] = categories[codes]
            logit += rng.normal(0.0, 0.6, len(categories))[codes]
            continue
        if spec.dtype == "int":
            values = rng.integers(0, 60, rows).astype(np.float64)
        else:
            values = rng.gamma(2.0, 40.0, rows)
        z = (values - values.mean()) / (values.std() or 1.0)
        logit += rng.normal(0.0, 0.5) * z + (0.4 * np.sin(2 * z) if i % 3 == 0 else 0.0)
        # Like Feast: integer features with nulls come back as float64 with NaN.
        values[rng.random(rows) < 0.02] = np.nan
        frame[spec.name] = values
    intercept = np.quantile(logit, 1.0 - positive_rate)
    noise = rng.logistic(0.0, 1.0, rows)
    frame[contract.label] = (logit - intercept + noise > 0).astype(np.int64)
    return frame


class SyntheticFrameMixin(BaseModelTrainer):
    """Trainer mixin: ``load()`` returns a frame given up front instead of the feature service.

    Put first in the bases, before the model's own trainer, whose other methods it keeps.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        settings: TrainingSettings | None = None,
        platform: PlatformSettings | None = None,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__(settings=settings, platform=platform, stream=stream)
        self._frame = frame

    def load(self) -> pd.DataFrame:
        return self._frame


class BenchFraudTrainer(SyntheticFrameMixin, FraudDetectionTrainer):
    """The fraud trainer, unchanged except for where its training frame comes from."""


class BenchChurnTrainer(SyntheticFrameMixin, CustomerChurnTrainer):
    """The churn trainer, unchanged except for where its training frame comes from."""


BENCH_TRAINERS: dict[str, type[SyntheticFrameMixin]] = {
    "fraud": BenchFraudTrainer,
    "churn": BenchChurnTrainer,
}
SETTINGS: dict[str, type[TrainingSettings]] = {
    "fraud": FraudTrainingSettings,
    "churn": ChurnTrainingSettings,
}
POSITIVE_RATE = {"fraud": 0.05, "churn": 0.2}
