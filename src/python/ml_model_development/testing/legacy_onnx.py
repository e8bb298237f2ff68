"""TEST ONLY: a graph of the legacy ONNX contract, as trainers exported it before the lean one.

One ``[N, 1]`` input per feature (float32 or string) and the one-hot encoder inside the graph
(skl2onnx on the whole Pipeline). Models registered before the lean contract, and the
services' model caches, hold such graphs; the compatibility tests prove scorers still run them.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils.onnx_export import (
    TARGET_OPSET,
    register_booster_converters,
)
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import input_spec


def legacy_pipeline_to_onnx(pipeline: Pipeline, contract: ModelContract) -> bytes:
    """The whole Pipeline as one graph with one named ``[N, 1]`` input per feature."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    register_booster_converters()
    initial_types = [
        (name, StringTensorType([None, 1]) if kind == "string" else FloatTensorType([None, 1]))
        for name, kind in input_spec(contract).items()
    ]
    onx = convert_sklearn(
        pipeline,
        name=contract.registered_model_name,
        initial_types=initial_types,
        target_opset=TARGET_OPSET,
        options={id(pipeline.steps[-1][1]): {"zipmap": False}},
    )
    for key, value in {
        "registered_model_name": contract.registered_model_name,
        "feature_service": contract.feature_service,
    }.items():
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, value
    return onx.SerializeToString()
