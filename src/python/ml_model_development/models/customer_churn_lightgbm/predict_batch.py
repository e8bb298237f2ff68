"""Score churn entity rows from the offline store with the champion."""

from __future__ import annotations

from pathlib import Path

from ml_model_development.common_ml_utils.batch_scoring import BatchResult, score_batch
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer


def predict_batch(
    entities: Path, output: Path, trainer: CustomerChurnTrainer | None = None
) -> BatchResult:
    return score_batch(trainer or CustomerChurnTrainer(), entities, output)
