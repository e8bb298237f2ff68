"""Churn training set: churn label rows per user and time + ``customer_churn_v1``."""

from __future__ import annotations

import pandas as pd

from ml_model_development.common_ml_utils.data_loading import (
    load_training_frame,
    read_entity_frame,
)
from ml_model_development.common_ml_utils.settings import TrainingSettings
from mlops_common.contracts.features import CHURN
from mlops_common.settings import PlatformSettings


def load(settings: TrainingSettings, platform: PlatformSettings) -> pd.DataFrame:
    labels = read_entity_frame(
        settings.resolve_labels_path(platform, CHURN.use_case), CHURN, require_label=True
    )
    return load_training_frame(settings.resolve_feature_repo(platform), labels, CHURN)
