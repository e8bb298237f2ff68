"""Frame preparation and column transformers shared by every model's preprocessor.

The same :func:`prepare_frame` runs before training, evaluation, batch scoring and the ONNX
parity check, so native and ONNX models always see identical inputs: numeric features as
float32 (what ONNX Runtime and the services feed; NaN stays NaN because the boosters learn a
direction for missing values) and categorical features as strings with the contract's default
for missing values. Trees need no scaling, and a StandardScaler would break ONNX parity
(float32 vs float64 scaling flips splits), so numeric columns pass through untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder

from mlops_common.contracts.features import ModelContract


def prepare_frame(frame: pd.DataFrame, contract: ModelContract) -> pd.DataFrame:
    """The model's input columns in contract order: what the native Pipeline is fitted on and
    what ``onnx_export.encode_frame`` turns into the lean graph's ``features`` matrix."""
    out = pd.DataFrame(index=frame.index)
    for spec in contract.features:
        col = frame[spec.name]
        if spec.dtype == "string":
            out[spec.name] = col.astype(object).where(col.notna(), str(spec.default)).astype(str)
        else:
            out[spec.name] = pd.to_numeric(col, errors="coerce").astype(np.float32)
    return out


def one_hot_transformer(
    contract: ModelContract, *, min_frequency: int | None = None, max_categories: int | None = None
) -> ColumnTransformer:
    """One-hot categorical columns (unseen categories → all zeros), pass numeric ones through."""
    encoder = OneHotEncoder(
        handle_unknown="ignore",
        sparse_output=False,
        min_frequency=min_frequency,
        max_categories=max_categories,
        dtype=np.float32,
    )
    return ColumnTransformer(
        [
            ("categorical", encoder, contract.categorical),
            ("numeric", "passthrough", contract.numeric),
        ],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )
