"""Fraud trainer settings: ``TRAINING_*`` env vars, e.g. ``TRAINING_HYPERPARAMETERS__N_ESTIMATORS=200``."""

from __future__ import annotations

from pydantic import Field

from ml_model_development.common_ml_utils.settings import Hyperparameters, TrainingSettings


class XGBoostHyperparameters(Hyperparameters):
    n_estimators: int = Field(default=200, ge=1, le=10_000)
    max_depth: int = Field(default=6, ge=1, le=16)
    learning_rate: float = Field(default=0.1, gt=0.0, le=1.0)
    subsample: float = Field(default=1.0, gt=0.0, le=1.0)
    colsample_bytree: float = Field(default=1.0, gt=0.0, le=1.0)
    min_child_weight: float = Field(default=1.0, ge=0.0)
    reg_lambda: float = Field(default=1.0, ge=0.0)
    n_jobs: int = Field(default=2, ge=1, description="threads; small on shared machines")


class FraudTrainingSettings(TrainingSettings):
    hyperparameters: XGBoostHyperparameters = Field(default_factory=XGBoostHyperparameters)
