"""The training set's MLflow dataset: the same schema MLflow infers, a digest of every row."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow.types.utils import _infer_schema

from ml_model_development.common_ml_utils.training_dataset import (
    SCHEMA_SAMPLE_ROWS,
    FeatureServiceSource,
    TrainingSetDataset,
    frame_digest,
    frame_schema,
)

ROWS = 3 * SCHEMA_SAMPLE_ROWS


def training_like_frame(rows: int = ROWS) -> pd.DataFrame:
    """Every dtype a training set has, with and without missing values."""
    rng = np.random.default_rng(3)
    amount = rng.gamma(2.0, 40.0, rows)
    amount[::7] = np.nan
    country = rng.choice(["DE", "FR", "US"], rows).astype(object)
    country[::11] = None
    late = np.full(rows, None, dtype=object)  # missing in the whole sample, present further down
    late[-10:] = "prepaid"
    stamps = pd.Series(pd.date_range("2026-01-01", periods=rows, freq="min", tz="UTC"))
    if rows > 5:
        stamps.iloc[5] = pd.NaT
    return pd.DataFrame(
        {
            "event_timestamp": stamps,
            "amount": amount,
            "hour_of_day": rng.integers(0, 24, rows).astype("float64"),
            "merchant_category": rng.choice(["electronics", "grocery"], rows).astype(object),
            "country": country,
            "late_feature": late,
            "age": rng.integers(18, 90, rows).astype("float32"),
            "is_fraud": rng.integers(0, 2, rows),
            "is_foreign": rng.integers(0, 2, rows).astype(bool),
        }
    )


def mlflow_full_schema(frame: pd.DataFrame) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _infer_schema(frame).to_dict()


def test_schema_equals_mlflows_inference_over_the_whole_frame() -> None:
    frame = training_like_frame()
    ours = frame_schema(frame).to_dict()
    assert ours == mlflow_full_schema(frame)
    required = {spec["name"]: spec["required"] for spec in ours}
    # Missing somewhere (even only past the sample, or only in the sample) is not required.
    assert required["amount"] is False and required["country"] is False
    assert required["late_feature"] is False and required["event_timestamp"] is False
    assert required["merchant_category"] is True and required["is_fraud"] is True
    types = {spec["name"]: spec["type"] for spec in ours}
    assert types["late_feature"] == "string"  # inferred from the values past the sample
    assert types["country"] == "string" and types["event_timestamp"] == "datetime"


def test_digest_covers_every_row_and_the_columns() -> None:
    frame = training_like_frame()
    digest = frame_digest(frame)
    assert len(digest) == 8 and digest == frame_digest(frame.copy())
    changed = frame.copy()
    changed.loc[ROWS - 1, "age"] = 99.0  # past MLflow's own 10,000-row digest window too
    assert frame_digest(changed) != digest
    assert frame_digest(frame.rename(columns={"age": "age_years"})) != digest
    assert frame_digest(frame.iloc[:-1]) != digest


def test_dataset_dict_has_the_fast_digest_and_schema() -> None:
    frame = training_like_frame()
    dataset = TrainingSetDataset(
        frame, FeatureServiceSource("fraud_detection_v1"), targets="is_fraud", name="train"
    )
    logged = dataset.to_dict()
    assert logged["digest"] == frame_digest(frame)
    assert json.loads(logged["schema"])["mlflow_colspec"] == mlflow_full_schema(frame)
    assert json.loads(logged["profile"])["num_rows"] == ROWS
    assert json.loads(logged["source"])["feature_service"] == "fraud_detection_v1"


@pytest.mark.parametrize("rows", [0, 1])
def test_tiny_frames(rows: int) -> None:
    frame = training_like_frame(max(rows, 1)).iloc[:rows]
    schema = TrainingSetDataset(
        frame, FeatureServiceSource("fs"), targets="is_fraud", name="train"
    ).schema
    if rows:
        assert schema is not None and schema.to_dict() == mlflow_full_schema(frame)
    assert len(frame_digest(frame)) == 8
