"""The ONNX graph interface shared by trainers (which export it) and services (which run it).

Every exported model is one graph containing preprocessing + booster, so services never
re-implement category encoding. Its inputs are one tensor per feature, named exactly like the
contract's features, shaped ``[N, 1]``: ``float32`` for numeric features (ints included) and
``string`` for categorical ones. Its outputs are ``label`` (int64 ``[N]``) and
``probabilities`` (float32 ``[N, 2]``, column 1 = positive class, no ZipMap).
"""

from __future__ import annotations

from mlops_common.contracts.features import ModelContract

OUTPUT_LABEL = "label"
OUTPUT_PROBABILITIES = "probabilities"
POSITIVE_CLASS_COLUMN = 1

# Files a model's registry version carries next to the graph (artifact paths in MLflow).
ONNX_ARTIFACT_PATH = "onnx/model.onnx"
SIGNATURE_ARTIFACT_PATH = "onnx/signature.json"


def input_spec(contract: ModelContract) -> dict[str, str]:
    """``{input_name: "float32" | "string"}`` in the contract's feature order."""
    return {f.name: ("string" if f.dtype == "string" else "float32") for f in contract.features}
