"""Train, export and register the churn LightGBM model: ``trainer train churn``."""

from __future__ import annotations

from lightgbm import LGBMClassifier

from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.models.customer_churn_lightgbm import data_loader, preprocessor
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from mlops_common.contracts.features import CHURN


class CustomerChurnTrainer(BaseModelTrainer):
    contract = CHURN
    settings_class = ChurnTrainingSettings
    # ONNX Runtime scores LightGBM ~1.7x faster than native on 1M rows (stack-facts).
    preferred_batch_engine = "onnx"

    def load(self):
        return data_loader.load(self.settings, self.platform)

    def build_preprocessor(self):
        return preprocessor.build_preprocessor()

    def build_estimator(self) -> LGBMClassifier:
        hp = self.settings.hyperparameters.model_dump()
        return LGBMClassifier(**hp, random_state=self.settings.random_seed, verbose=-1)


TRAINER = CustomerChurnTrainer
