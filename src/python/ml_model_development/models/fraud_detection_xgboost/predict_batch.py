"""Score fraud entity rows from the offline store with the champion."""

from __future__ import annotations

from pathlib import Path

from ml_model_development.common_ml_utils.batch_scoring import BatchResult, score_batch
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer


def predict_batch(
    entities: Path, output: Path, trainer: FraudDetectionTrainer | None = None
) -> BatchResult:
    return score_batch(trainer or FraudDetectionTrainer(), entities, output)
