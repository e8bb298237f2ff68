"""Churn preprocessing: one-hot the plan (rare plans grouped), numeric columns untouched."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer

from ml_model_development.common_ml_utils.preprocessing import one_hot_transformer
from mlops_common.contracts.features import CHURN


def build_preprocessor() -> ColumnTransformer:
    return one_hot_transformer(CHURN)
