"""Export the whole inference path (preprocessing + booster) as one ONNX graph, with a gate.

Serving runs ONNX Runtime (12-28x faster per row than the native libraries) on the lean graph
described by ``mlops_common.contracts.onnx_signature``: one float32 ``features`` input
``[N, F]`` (categories as ids from the graph's own vocabulary, encoded by the shared
:class:`~mlops_common.contracts.onnx_signature.FeatureEncoder`) and outputs ``label`` /
``probabilities``; :mod:`.onnx_lean_graph` builds it. A graph that scores differently from the
trained model would silently change production decisions, so every export goes through
:func:`check_parity` before registration. :class:`OnnxScorer` also runs graphs of the legacy
contract (one ``[N, 1]`` tensor per feature), so champions registered before keep scoring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils.onnx_lean_graph import lean_graph
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import (
    CONTRACT_METADATA_KEY,
    FEATURES_INPUT,
    LEAN_CONTRACT,
    OUTPUT_LABEL,
    OUTPUT_PROBABILITIES,
    POSITIVE_CLASS_COLUMN,
    UNKNOWN_CATEGORY_ID,
    VOCABULARY_METADATA_KEY,
    FeatureEncoder,
    input_spec,
    is_lean_inputs,
)

# skl2onnx needs these for a Pipeline holding a ColumnTransformer and a booster.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


class ParityError(AssertionError):
    """The ONNX graph's probabilities differ from the native model's beyond tolerance."""


@dataclass(frozen=True)
class ParityReport:
    rows: int
    max_abs_diff: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.max_abs_diff <= self.tolerance


_registered = False


def register_booster_converters() -> None:
    """Teach skl2onnx to convert XGBoost and LightGBM classifiers inside a Pipeline."""
    global _registered
    if _registered:
        return
    from lightgbm import LGBMClassifier
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from xgboost import XGBClassifier

    options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    update_registered_converter(
        XGBClassifier,
        "XGBoostXGBClassifier",
        calculate_linear_classifier_output_shapes,
        convert_xgboost,
        options=options,
    )
    update_registered_converter(
        LGBMClassifier,
        "LightGbmLGBMClassifier",
        calculate_linear_classifier_output_shapes,
        convert_lightgbm,
        options=options,
    )
    _registered = True


def pipeline_to_onnx(
    pipeline: Pipeline, contract: ModelContract, metadata: dict[str, str] | None = None
) -> bytes:
    """Convert a fitted ``Pipeline(preprocessor, booster)`` to the serialized lean graph.

    The graph's metadata carries the contract version and the category vocabulary, which is
    all a scorer needs besides the graph (:func:`graph_encoder`).
    """
    register_booster_converters()
    onx, vocabulary = lean_graph(pipeline, contract, TARGET_OPSET)
    outputs = [o.name for o in onx.graph.output]
    if outputs != [OUTPUT_LABEL, OUTPUT_PROBABILITIES]:
        raise ValueError(f"ONNX outputs {outputs} do not follow the signature contract")
    encoder = FeatureEncoder(contract, vocabulary)
    for key, value in {
        "registered_model_name": contract.registered_model_name,
        "feature_service": contract.feature_service,
        CONTRACT_METADATA_KEY: LEAN_CONTRACT,
        VOCABULARY_METADATA_KEY: encoder.vocabulary_json(),
        **(metadata or {}),
    }.items():
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, str(value)
    return onx.SerializeToString()


def graph_encoder(session: ort.InferenceSession, contract: ModelContract) -> FeatureEncoder | None:
    """The encoder of a lean-contract graph (from its metadata); ``None`` for a legacy graph."""
    if not is_lean_inputs([i.name for i in session.get_inputs()]):
        return None
    return FeatureEncoder.from_metadata(contract, session.get_modelmeta().custom_metadata_map)


def signature_document(
    contract: ModelContract, encoder: FeatureEncoder, metadata: dict[str, str] | None = None
) -> str:
    """``signature.json``: inputs, vocabulary, outputs and provenance, logged next to the graph."""
    doc = {
        "registered_model_name": contract.registered_model_name,
        "feature_service": contract.feature_service,
        "contract": LEAN_CONTRACT,
        "inputs": [
            {
                "name": FEATURES_INPUT,
                "dtype": "float32",
                "shape": [None, len(contract.features)],
                "columns": contract.feature_names,
            }
        ],
        "category_vocabulary": {k: dict(v) for k, v in encoder.vocabulary.items()},
        "unknown_category_id": UNKNOWN_CATEGORY_ID,
        "outputs": [
            {"name": OUTPUT_LABEL, "dtype": "int64", "shape": [None]},
            {"name": OUTPUT_PROBABILITIES, "dtype": "float32", "shape": [None, 2]},
        ],
        "positive_class_column": POSITIVE_CLASS_COLUMN,
        "defaults": contract.defaults(),
        **(metadata or {}),
    }
    return json.dumps(doc, indent=2)


def encode_frame(frame: pd.DataFrame, encoder: FeatureEncoder) -> np.ndarray:
    """The lean graph's ``features`` matrix from a frame prepared with ``prepare_frame``."""
    contract = encoder.contract
    out = np.empty((len(frame), encoder.width), dtype=np.float32)
    for i, spec in enumerate(contract.features):
        column = frame[spec.name]
        if spec.dtype == "string":
            out[:, i] = encoder.category_ids(spec.name, column.to_numpy())
        else:
            out[:, i] = column.to_numpy(dtype=np.float32)
    return out


def onnx_inputs(
    frame: pd.DataFrame, contract: ModelContract, encoder: FeatureEncoder | None = None
) -> dict[str, np.ndarray]:
    """Feed dict for ONNX Runtime from a frame prepared with ``prepare_frame``.

    With ``encoder`` the lean contract's ``{"features": [N, F]}``; without, the legacy one.
    """
    if encoder is not None:
        return {FEATURES_INPUT: encode_frame(frame, encoder)}
    feeds: dict[str, np.ndarray] = {}
    for name, kind in input_spec(contract).items():
        values = frame[name].to_numpy()
        if kind == "string":
            feeds[name] = values.astype(object).reshape(-1, 1)
        else:
            feeds[name] = values.astype(np.float32).reshape(-1, 1)
    return feeds


class OnnxScorer:
    """A reusable ONNX Runtime session returning positive-class probabilities."""

    def __init__(
        self, onnx_bytes: bytes, contract: ModelContract, threads: int = 0, spin: bool = False
    ) -> None:
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # ORT's intra-op threads busy-wait between work items by default. On machines whose
        # cores are shared (CI, the quickstart) that halved batch throughput (9k vs 20k
        # rows/s on 100k fraud rows, 2 threads); a dedicated scoring box may pass spin=True.
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        self.session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        self.contract = contract
        # None: a legacy-contract graph (registered before the lean contract), fed per feature.
        self.encoder = graph_encoder(self.session, contract)

    def positive_proba(self, frame: pd.DataFrame) -> np.ndarray:
        feeds = onnx_inputs(frame, self.contract, self.encoder)
        (proba,) = self.session.run([OUTPUT_PROBABILITIES], feeds)
        return np.asarray(proba, dtype=np.float64)[:, POSITIVE_CLASS_COLUMN]


def check_parity(
    pipeline: Pipeline,
    onnx_bytes: bytes,
    frame: pd.DataFrame,
    contract: ModelContract,
    tolerance: float = 1e-5,
) -> ParityReport:
    """Compare native ``predict_proba`` with ONNX Runtime; raise :class:`ParityError` on drift."""
    native = np.asarray(pipeline.predict_proba(frame), dtype=np.float64)[:, 1]
    onnx = OnnxScorer(onnx_bytes, contract).positive_proba(frame)
    report = ParityReport(len(frame), float(np.max(np.abs(native - onnx))), tolerance)
    if not report.ok:
        raise ParityError(
            f"ONNX export disagrees with the model: max |diff| {report.max_abs_diff:.2e} "
            f"over {report.rows} rows > tolerance {tolerance:.0e}; not registering"
        )
    return report


def with_missing_and_unseen(
    frame: pd.DataFrame, contract: ModelContract, fraction: float = 0.1, seed: int = 0
) -> pd.DataFrame:
    """A copy of a prepared holdout where some values are NaN and some categories unseen.

    The parity gate must hold on what production sends, which includes both.
    """
    rng = np.random.default_rng(seed)
    out = frame.copy()
    n = len(out)
    for spec in contract.features:
        rows = rng.random(n) < fraction
        if spec.dtype == "string":
            out.loc[rows, spec.name] = "__unseen_category__"
        else:
            out.loc[rows, spec.name] = np.float32(np.nan)
    return out
