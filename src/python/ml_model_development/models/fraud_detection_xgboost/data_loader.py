"""Fraud training set: transaction label rows (with request features) + ``fraud_detection_v1``.

The label table carries the request-time values (amount, merchant_category, country,
hour_of_day) of each labelled transaction, because Feast's on-demand features
(``amount_to_avg_7d_ratio``, ``is_foreign``) are computed from them at retrieval time.
"""

from __future__ import annotations

import pandas as pd

from ml_model_development.common_ml_utils.data_loading import (
    load_training_frame,
    read_entity_frame,
)
from ml_model_development.common_ml_utils.settings import TrainingSettings
from mlops_common.contracts.features import FRAUD
from mlops_common.settings import PlatformSettings


def load(settings: TrainingSettings, platform: PlatformSettings) -> pd.DataFrame:
    labels = read_entity_frame(
        settings.resolve_labels_path(platform, FRAUD.use_case), FRAUD, require_label=True
    )
    return load_training_frame(settings.resolve_feature_repo(platform), labels, FRAUD)
