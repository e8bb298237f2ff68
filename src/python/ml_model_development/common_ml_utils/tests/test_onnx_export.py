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
    encode_frame,
    pipeline_to_onnx,
    with_missing_and_unseen,
)
from ml_model_development.common_ml_utils.preprocessing import one_hot_transformer, prepare_frame
from ml_model_development.testing.legacy_onnx import legacy_pipeline_to_onnx
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.contracts.onnx_signature import UNKNOWN_CATEGORY_ID, FeatureEncoder


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
    # the lean contract: one float [N, F] input straight into one tree ensemble
    assert [i.name for i in graph.graph.input] == ["features"]
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == len(FRAUD.features)
    assert [n.op_type for n in graph.graph.node] == ["TreeEnsembleClassifier"]
    assert [o.name for o in graph.graph.output] == ["label", "probabilities"]
    metadata = {p.key: p.value for p in graph.metadata_props}
    assert metadata["feature_service"] == "fraud_detection_v1"
    assert metadata["onnx_contract"] == "features_v2"
    encoder = FeatureEncoder.from_metadata(FRAUD, metadata)
    assert {k: sorted(v) for k, v in encoder.vocabulary.items()} == {
        c: ["a", "b", "c", "d"] for c in FRAUD.categorical
    }
    holdout = with_missing_and_unseen(x, FRAUD, fraction=0.2)
    assert holdout.isna().any().any() and (holdout["country"] == "__unseen_category__").any()
    ids = encode_frame(holdout, encoder)[:, FRAUD.feature_names.index("country")]
    assert (ids == UNKNOWN_CATEGORY_ID).any() and (ids >= 0).any()
    report = check_parity(pipeline, onnx_bytes, holdout, FRAUD, tolerance=1e-5)
    assert report.ok and report.rows == len(x) and report.max_abs_diff < 1e-5


@pytest.mark.parametrize("min_frequency", [None, 200], ids=["all", "infrequent-grouped"])
def test_lean_graph_matches_lightgbm_churn_with_grouped_categories(min_frequency) -> None:
    """LightGBM's ``<=`` splits, and one-hot columns shared by grouped rare categories."""
    rng = np.random.default_rng(5)
    n = 2000
    raw = pd.DataFrame({s.name: rng.integers(0, 40, n).astype(float) for s in CHURN.features})
    raw["plan"] = rng.choice(
        ["basic", "pro", "team", "rare1", "rare2"], n, p=[0.4, 0.3, 0.2, 0.05, 0.05]
    )
    raw.loc[rng.random(n) < 0.1, "logins_30d"] = np.nan
    x = prepare_frame(raw, CHURN)
    y = ((raw["plan"] == "pro") | (raw["logins_30d"].fillna(0) < 5)).astype(int).to_numpy()
    y = np.where(rng.random(n) < 0.1, 1 - y, y)
    model = LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1, n_jobs=1)
    preprocess = one_hot_transformer(CHURN, min_frequency=min_frequency)
    pipeline = Pipeline([("preprocess", preprocess), ("model", model)]).fit(x, y)
    onnx_bytes = pipeline_to_onnx(pipeline, CHURN)
    scorer = OnnxScorer(onnx_bytes, CHURN)
    assert scorer.encoder is not None
    vocabulary = scorer.encoder.vocabulary["plan"]
    if min_frequency:  # the two rare plans share the "infrequent" column, hence one id
        assert vocabulary["rare1"] == vocabulary["rare2"] != vocabulary["basic"]
    gate = pd.concat([x, with_missing_and_unseen(x, CHURN, fraction=0.2)], ignore_index=True)
    assert check_parity(pipeline, onnx_bytes, gate, CHURN, tolerance=1e-5).max_abs_diff < 1e-5


def test_lightgbm_threshold_between_adjacent_float32_values_splits_as_lightgbm() -> None:
    """A split between two neighbouring float32 values: the nearest float32 of LightGBM's
    double threshold is the upper value itself, which then went left in ONNX and right in
    LightGBM (a 1M-row churn model failed its parity gate so); floored, it goes right."""
    rng = np.random.default_rng(11)
    n = 4000
    low = np.float32(85.34460449)  # the two spend_30d values of that model's split
    high = np.nextafter(low, np.float32(np.inf))
    raw = pd.DataFrame({s.name: rng.integers(0, 40, n).astype(float) for s in CHURN.features})
    raw["plan"] = "basic"
    y = rng.integers(0, 2, n)
    raw["spend_30d"] = np.where(y == 1, high, low)
    x = prepare_frame(raw, CHURN)
    model = LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1, n_jobs=1)
    pipeline = Pipeline([("preprocess", one_hot_transformer(CHURN)), ("model", model)]).fit(x, y)
    thresholds = [
        t["tree_structure"].get("threshold")
        for t in pipeline[-1].booster_.dump_model()["tree_info"]
    ]
    between = [t for t in thresholds if t is not None and float(low) < t < float(high)]
    assert between and all(np.float32(t) == high for t in between)  # nearest float32 = high
    onnx_bytes = pipeline_to_onnx(pipeline, CHURN)
    native = pipeline.predict_proba(x)[:, 1]
    served = OnnxScorer(onnx_bytes, CHURN).positive_proba(x)
    np.testing.assert_allclose(served, native, rtol=0, atol=1e-6)
    assert served[y == 1].min() > served[y == 0].max()  # the two values are told apart


def test_legacy_contract_graphs_still_score(data) -> None:
    """Champions registered before the lean contract: per-feature inputs, fed per feature."""
    x, y = data
    pipeline = _pipeline(XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1)).fit(x, y)
    legacy = legacy_pipeline_to_onnx(pipeline, FRAUD)
    scorer = OnnxScorer(legacy, FRAUD)
    assert scorer.encoder is None
    lean = OnnxScorer(pipeline_to_onnx(pipeline, FRAUD), FRAUD)
    holdout = with_missing_and_unseen(x, FRAUD, fraction=0.2)
    np.testing.assert_allclose(
        scorer.positive_proba(holdout), lean.positive_proba(holdout), rtol=0, atol=1e-6
    )
    assert check_parity(pipeline, legacy, holdout, FRAUD).max_abs_diff < 1e-5


def test_parity_gate_rejects_a_different_model(data) -> None:
    x, y = data
    strong = _pipeline(XGBClassifier(n_estimators=30, max_depth=4, n_jobs=1)).fit(x, y)
    weak = _pipeline(XGBClassifier(n_estimators=3, max_depth=1, n_jobs=1)).fit(x, y)
    with pytest.raises(ParityError, match="not registering"):
        check_parity(strong, pipeline_to_onnx(weak, FRAUD), x, FRAUD)
    proba = OnnxScorer(pipeline_to_onnx(weak, FRAUD), FRAUD).positive_proba(x.head(3))
    assert proba.shape == (3,) and np.all((proba >= 0) & (proba <= 1))
