"""Churn trainer settings: ``TRAINING_*`` env vars, e.g. ``TRAINING_HYPERPARAMETERS__NUM_LEAVES=63``."""

from __future__ import annotations

from pydantic import Field

from ml_model_development.common_ml_utils.settings import (
    HoldoutStrategy,
    Hyperparameters,
    TrainingSettings,
)


class LightGBMHyperparameters(Hyperparameters):
    n_estimators: int = Field(default=200, ge=1, le=10_000)
    num_leaves: int = Field(default=31, ge=2, le=4096)
    max_depth: int = Field(default=-1, ge=-1, le=32)
    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    min_child_samples: int = Field(default=20, ge=1)
    subsample: float = Field(default=1.0, gt=0.0, le=1.0)
    colsample_bytree: float = Field(default=1.0, gt=0.0, le=1.0)
    reg_lambda: float = Field(default=0.0, ge=0.0)
    n_jobs: int = Field(default=2, ge=1, description="threads; small on shared machines")


class ChurnTrainingSettings(TrainingSettings):
    # Churn labels are one row per user, all stamped at one observation time (a snapshot)
    # with a static label: no time cutoff can separate them, and a user trained on in one
    # run must not be judged on in the next, so the holdout is a fixed group of users.
    holdout_strategy: HoldoutStrategy = "entity"
    hyperparameters: LightGBMHyperparameters = Field(default_factory=LightGBMHyperparameters)
