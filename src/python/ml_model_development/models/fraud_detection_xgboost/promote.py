"""Compare the fraud challenger with the champion and promote it if it wins."""

from __future__ import annotations

from ml_model_development.common_ml_utils.promotion import PromotionDecision, evaluate_and_promote
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer


def promote(trainer: FraudDetectionTrainer | None = None) -> PromotionDecision:
    return evaluate_and_promote(trainer or FraudDetectionTrainer())
