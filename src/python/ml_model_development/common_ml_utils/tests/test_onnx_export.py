import numpy as np
import pytest
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification
from xgboost import XGBClassifier

from ml_model_development.common_ml_utils.onnx_export import (
    ParityError,
    booster_to_onnx,
    check_parity,
    onnx_positive_proba,
)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    x, y = make_classification(n_samples=2000, n_features=12, n_informative=6, random_state=7)
    return x.astype(np.float32), y


@pytest.mark.parametrize(
    "model",
    [
        XGBClassifier(n_estimators=40, max_depth=4, nthread=1),
        LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1, n_jobs=1),
    ],
    ids=["xgboost", "lightgbm"],
)
def test_booster_export_matches_native(model, data) -> None:
    x, y = data
    model.fit(x, y)
    onnx_bytes = booster_to_onnx(model, x.shape[1])
    report = check_parity(model, onnx_bytes, x)
    assert report.ok and report.rows == len(x)
    assert report.max_abs_diff < 1e-5


def test_parity_gate_rejects_a_different_model(data) -> None:
    x, y = data
    model_a = XGBClassifier(n_estimators=20, max_depth=3, nthread=1).fit(x, y)
    model_b = XGBClassifier(n_estimators=5, max_depth=2, nthread=1).fit(x, y)
    with pytest.raises(ParityError, match="disagrees"):
        check_parity(model_a, booster_to_onnx(model_b, x.shape[1]), x)
    proba = onnx_positive_proba(booster_to_onnx(model_b, x.shape[1]), x[:3])
    assert proba.shape == (3,) and np.all((proba >= 0) & (proba <= 1))


def test_unknown_model_type_is_refused(data) -> None:
    with pytest.raises(TypeError, match="no ONNX converter"):
        booster_to_onnx(object(), 3)
