from mlops_common.contracts import CHURN, FRAUD, MODEL_CONTRACTS


def test_contracts_are_consistent() -> None:
    for contract in MODEL_CONTRACTS.values():
        names = contract.feature_names
        assert len(names) == len(set(names)), f"duplicate feature in {contract.use_case}"
        for spec in contract.features:
            expected = {"float": float, "int": int, "string": str}[spec.dtype]
            assert isinstance(spec.default, expected), spec
        assert set(contract.categorical) | set(contract.numeric) == set(names)


def test_stored_feature_references() -> None:
    assert "user_transaction_aggregates:txn_count_1h" in [
        f.reference for f in FRAUD.stored_features
    ]
    assert all(f.source != "request" for f in CHURN.features)
    assert FRAUD.registered_model_name != CHURN.registered_model_name


def test_onnx_input_spec_follows_contract_order() -> None:
    from mlops_common.contracts.onnx_signature import input_spec

    spec = input_spec(FRAUD)
    assert list(spec) == FRAUD.feature_names
    assert spec["merchant_category"] == "string" and spec["amount"] == "float32"


def test_feature_encoder_encodes_a_row_in_contract_order_with_the_graphs_vocabulary() -> None:
    import json
    import math

    import pytest

    from mlops_common.contracts.onnx_signature import (
        UNKNOWN_CATEGORY_ID,
        VOCABULARY_METADATA_KEY,
        FeatureEncoder,
    )

    vocabulary = {"plan": {"basic": 0, "pro": 1}}
    encoder = FeatureEncoder.from_metadata(CHURN, {VOCABULARY_METADATA_KEY: json.dumps(vocabulary)})
    row = {**CHURN.defaults(), "plan": "pro", "age": 33, "spend_30d": None}
    encoded = encoder.encode(row)
    assert len(encoded) == encoder.width == len(CHURN.features)
    names = CHURN.feature_names
    assert encoded[names.index("plan")] == 1 and encoded[names.index("age")] == 33
    assert math.isnan(encoded[names.index("spend_30d")])  # missing numeric: NaN
    # an unseen category gets the unknown id; a missing one the contract default ("basic")
    assert encoder.encode({**row, "plan": "enterprise"})[names.index("plan")] == UNKNOWN_CATEGORY_ID
    assert encoder.encode({**row, "plan": None})[names.index("plan")] == 0
    assert encoder.category_ids("plan", ["pro", "x", "basic"]) == [1, UNKNOWN_CATEGORY_ID, 0]
    assert json.loads(encoder.vocabulary_json()) == vocabulary
    with pytest.raises(ValueError, match="re-export"):
        FeatureEncoder(FRAUD, vocabulary)  # fraud has three categorical features
    with pytest.raises(ValueError, match="re-export"):
        FeatureEncoder.from_metadata(CHURN, {})


def test_lean_and_legacy_graphs_are_told_apart_by_their_inputs() -> None:
    from mlops_common.contracts.onnx_signature import is_lean_inputs

    assert is_lean_inputs(["features"])
    assert not is_lean_inputs(FRAUD.feature_names)
