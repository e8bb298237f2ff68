"""Fraud preprocessing: one-hot merchant category / countries, numeric columns untouched.

Unseen categories (new merchants' MCC groups, new countries) encode as all zeros, in sklearn
and in the ONNX graph alike.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer

from ml_model_development.common_ml_utils.preprocessing import one_hot_transformer
from mlops_common.contracts.features import FRAUD


def build_preprocessor() -> ColumnTransformer:
    return one_hot_transformer(FRAUD)
