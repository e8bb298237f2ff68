import numpy as np
import onnx
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier

from ml_model_development.common_ml_utils.onnx_export import (
    OnnxScorer,
    ParityError,
    check_parity,
    pipeline_to_onnx,
    with_missing_and_unseen,
)
from ml_model_development.common_ml_utils.preprocessing import one_hot_transformer, prepare_frame
from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.onnx_signature import input_spec


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 1500
    raw = pd.DataFrame()
    for spec in FRAUD.features:
        if spec.dtype == "string":
            raw[spec.name] = rng.choice(["a", "b", "c", "d"], n)
        elif spec.dtype == "int":
            raw[spec.name] = rng.integers(0, 50, n)
        else:
            raw[spec.name] = rng.gamma(2.0, 30.0, n)
    raw.loc[rng.random(n) < 0.05, "txn_amount_avg_7d"] = np.nan
    logit = 0.03 * raw["amount"] - 2 + (raw["country"] == "a") + 0.05 * raw["txn_count_24h"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return prepare_frame(raw, FRAUD), y


def _pipeline(model) -> Pipeline:
    return Pipeline([("preprocess", one_hot_transformer(FRAUD)), ("model", model)])


@pytest.mark.parametrize(
    "model",
    [
        XGBClassifier(n_estimators=40, max_depth=4, n_jobs=1),
        LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1, n_jobs=1),
    ],
    ids=["xgboost", "lightgbm"],
)
def test_whole_pipeline_export_matches_native(model, data) -> None:
    x, y = data
    pipeline = _pipeline(model).fit(x, y)
    onnx_bytes = pipeline_to_onnx(pipeline, FRAUD)
    graph = onnx.load_from_string(onnx_bytes)
    assert [i.name for i in graph.graph.input] == list(input_spec(FRAUD))
    assert [o.name for o in graph.graph.output] == ["label", "probabilities"]
    assert {p.key: p.value for p in graph.metadata_props}["feature_service"] == "fraud_detection_v1"
    holdout = with_missing_and_unseen(x, FRAUD, fraction=0.2)
    assert holdout.isna().any().any() and (holdout["country"] == "__unseen_category__").any()
    report = check_parity(pipeline, onnx_bytes, holdout, FRAUD, tolerance=1e-5)
    assert report.ok and report.rows == len(x) and report.max_abs_diff < 1e-5


def test_parity_gate_rejects_a_different_model(data) -> None:
    x, y = data
    strong = _pipeline(XGBClassifier(n_estimators=30, max_depth=4, n_jobs=1)).fit(x, y)
    weak = _pipeline(XGBClassifier(n_estimators=3, max_depth=1, n_jobs=1)).fit(x, y)
    with pytest.raises(ParityError, match="not registering"):
        check_parity(strong, pipeline_to_onnx(weak, FRAUD), x, FRAUD)
    proba = OnnxScorer(pipeline_to_onnx(weak, FRAUD), FRAUD).positive_proba(x.head(3))
    assert proba.shape == (3,) and np.all((proba >= 0) & (proba <= 1))
