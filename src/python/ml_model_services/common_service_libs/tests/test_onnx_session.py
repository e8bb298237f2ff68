"""Both ONNX contracts load and score in the service, equal to the native model value by value.

``testdata/`` holds one small fraud model (12 XGBoost trees) exported twice from the same
fitted Pipeline: as a **legacy**-contract graph (one ``[N, 1]`` tensor per feature, strings
inside; what champions registered before the lean contract and the services' model caches
hold) and as a **lean**-contract graph (one float32 ``features`` row, categories as ids), with
30 rows (three with categories the model never saw) and the native Pipeline's probabilities
for them. Made by ``ml_model_development.testing.legacy_onnx.legacy_pipeline_to_onnx`` and
``ml_model_development.common_ml_utils.onnx_export.pipeline_to_onnx``; the serving resolve
cannot train, so the graphs are files.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from ml_model_services.common_service_libs.model_ref import ModelRef, ModelSourceError
from ml_model_services.common_service_libs.onnx_session import build_model
from mlops_common.contracts.features import CHURN, FRAUD

DATA = Path(__file__).parent / "testdata"
REF = ModelRef(FRAUD.registered_model_name, "1", "run", "champion", "published")


def _rows() -> tuple[list[dict], np.ndarray]:
    doc = json.loads((DATA / "fraud_rows.json").read_text())
    return doc["rows"], np.asarray(doc["native_proba"])


@pytest.mark.parametrize("contract", ["lean", "legacy"])
def test_both_contracts_serve_the_native_models_probabilities(contract: str) -> None:
    graph = (DATA / f"fraud_{contract}_contract.onnx").read_bytes()
    model = build_model(REF, graph, FRAUD, threads=1)
    assert (model.encoder is not None) == (contract == "lean")
    assert model.info()["onnx_contract"] == contract
    rows, native = _rows()
    single = [model.predict([row])[0] for row in rows]  # the per-request path
    batch = model.predict(rows)
    np.testing.assert_allclose(single, native, rtol=0, atol=1e-6)
    np.testing.assert_allclose(batch, native, rtol=0, atol=1e-6)
    assert len(set(np.round(single, 6))) > 10  # real, different scores
    # what the shadow challenger reuses: the same scores and rows it can score again
    kept, matrix = model.predict_keeping_rows(rows)
    np.testing.assert_allclose(kept, native, rtol=0, atol=1e-6)
    if model.encoder is not None:
        assert matrix.shape == (len(rows), model.encoder.width)
        np.testing.assert_allclose(model.predict_encoded(matrix[5:9]), native[5:9], atol=1e-6)
        np.testing.assert_allclose(model.predict_encoded(np.stack(list(matrix))), native, atol=1e-6)
    else:
        assert matrix is None


def test_lean_row_encoding_of_unseen_and_missing_values() -> None:
    model = build_model(REF, (DATA / "fraud_lean_contract.onnx").read_bytes(), FRAUD, 1)
    legacy = build_model(REF, (DATA / "fraud_legacy_contract.onnx").read_bytes(), FRAUD, 1)
    rows, _ = _rows()
    unseen = {**rows[0], "country": "never-seen", "merchant_category": "zz"}
    assert model.predict([unseen]) == pytest.approx(legacy.predict([unseen]), abs=1e-6)
    # a missing category is the contract default, as in training ("unknown" is a category here)
    assert model.predict([{**rows[0], "country": None}]) == pytest.approx(
        legacy.predict([{**rows[0], "country": "unknown"}]), abs=1e-6
    )


def test_a_graph_of_another_contract_is_refused_with_how_to_fix() -> None:
    graph = (DATA / "fraud_lean_contract.onnx").read_bytes()
    with pytest.raises(ModelSourceError, match="re-export"):
        build_model(REF, graph, CHURN, threads=1)  # fraud's vocabulary, churn's features
    legacy = (DATA / "fraud_legacy_contract.onnx").read_bytes()
    with pytest.raises(ModelSourceError, match="re-export"):
        build_model(REF, legacy, CHURN, threads=1)
