"""Train, export and register the fraud XGBoost model: ``trainer train fraud``."""

from __future__ import annotations

from xgboost import XGBClassifier

from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.models.fraud_detection_xgboost import data_loader, preprocessor
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings
from mlops_common.contracts.features import FRAUD


class FraudDetectionTrainer(BaseModelTrainer):
    contract = FRAUD
    settings_class = FraudTrainingSettings
    # Native XGBoost scores 1M rows 3.5-5x faster than ONNX Runtime (stack-facts).
    preferred_batch_engine = "native"

    def load(self):
        return data_loader.load(self.settings, self.platform)

    def build_preprocessor(self):
        return preprocessor.build_preprocessor()

    def build_estimator(self) -> XGBClassifier:
        hp = self.settings.hyperparameters.model_dump()
        return XGBClassifier(
            **hp,
            objective="binary:logistic",
            eval_metric="aucpr",
            tree_method="hist",
            random_state=self.settings.random_seed,
        )


TRAINER = FraudDetectionTrainer
