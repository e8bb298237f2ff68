"""Compare the churn challenger with the champion and promote it if it wins."""

from __future__ import annotations

from ml_model_development.common_ml_utils.promotion import PromotionDecision, evaluate_and_promote
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer


def promote(trainer: CustomerChurnTrainer | None = None) -> PromotionDecision:
    return evaluate_and_promote(trainer or CustomerChurnTrainer())
