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
