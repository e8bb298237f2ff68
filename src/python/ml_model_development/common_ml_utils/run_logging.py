"""What one training run leaves in MLflow: params, metrics, holdout tags, plots, the training
set (``mlflow.log_input``), the ONNX graph as an ``mlflow.onnx`` model with a signature and an
input example, and the native sklearn Pipeline as a second logged model of the same run.

The ONNX model is the one that gets registered: the registry alias users load
(``mlflow.pyfunc.load_model("models:/<name>@champion")``) is the very graph the services run.
The Pipeline is not registered; its ``models:/m-…`` URI is a tag of the run and of the
version (``sklearn_model_uri``, :func:`.mlflow_utils.native_model_uri`) for what needs the
native booster (promotion scoring, native batch scoring, the parity reference). The raw graph
and ``signature.json`` are also logged under ``onnx/`` (same bytes) for readers that copy
files: the published champion folder. ``signature.json`` carries the category vocabulary
the graph was trained with (also in the graph's metadata).

Kept out of :mod:`.base_model_trainer` so the template reads as the steps of a training and
this module as the record of one; everything it logs is passed in explicitly (the holdout
scores come with the :class:`Evaluation`, the run id from the active run), so nothing is read
back from the trainer's attributes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.onnx
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils.evaluation_utils import save_plots
from ml_model_development.common_ml_utils.holdout import Split
from ml_model_development.common_ml_utils.mlflow_utils import NATIVE_MODEL_TAG
from ml_model_development.common_ml_utils.onnx_export import (
    ParityReport,
    encode_frame,
    signature_document,
)
from ml_model_development.common_ml_utils.preprocessing import prepare_frame
from ml_model_development.common_ml_utils.training_dataset import (
    FeatureServiceSource,
    log_training_set,
)
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import (
    FEATURES_INPUT,
    ONNX_ARTIFACT_PATH,
    OUTPUT_LABEL,
    OUTPUT_PROBABILITIES,
    SIGNATURE_ARTIFACT_PATH,
    VOCABULARY_METADATA_KEY,
    FeatureEncoder,
)

ONNX_MODEL_NAME = "model"  # MLflow logged-model name of the ONNX graph (the registered one)
NATIVE_MODEL_NAME = "sklearn_pipeline"  # logged-model name of the sklearn Pipeline
EXAMPLE_ROWS = 3


@dataclass(frozen=True)
class Evaluation:
    """Holdout metrics and the scores they came from (the plots reuse the scores)."""

    metrics: dict[str, float]
    labels: np.ndarray
    proba: np.ndarray


@dataclass(frozen=True)
class LoggedModels:
    """URIs (``models:/m-…``) of the two models one run logs."""

    onnx_uri: str
    native_uri: str


def trusted_types(pipeline: Pipeline) -> list[str]:
    """Types of our own fitted pipeline that skops (MLflow's sklearn format) must trust."""
    import skops.io

    return skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))


def log_training_run(
    *,
    run_id: str,
    contract: ModelContract,
    pipeline: Pipeline,
    split: Split,
    evaluation: Evaluation,
    onnx_bytes: bytes,
    parity: ParityReport,
    params: dict[str, object],
    decision_threshold: float,
    pip_requirements: list[str],
    example: pd.DataFrame,
    dataset_source: FeatureServiceSource,
) -> LoggedModels:
    """Log everything of the active run ``run_id``; ``example`` is prepared holdout rows."""
    log_training_set(split, contract, dataset_source)
    mlflow.log_params(params)
    mlflow.log_params({"train_rows": len(split.train), "holdout_rows": len(split.holdout)})
    holdout_tags = split.record.tags() if split.record is not None else {}
    mlflow.log_params({k: v for k, v in holdout_tags.items() if not k.endswith("_rows")})
    mlflow.set_tags(holdout_tags)  # data_cutoff, holdout_strategy, holdout_start/end, ...
    mlflow.log_metrics({**evaluation.metrics, "parity_max_abs_diff": parity.max_abs_diff})
    mlflow.set_tags(
        {
            "feature_service": contract.feature_service,
            "registered_model_name": contract.registered_model_name,
            "onnx_artifact": ONNX_ARTIFACT_PATH,
        }
    )
    encoder = graph_vocabulary(onnx_bytes, contract)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for path in save_plots(
            evaluation.labels, evaluation.proba, tmp_path / "plots", decision_threshold
        ):
            mlflow.log_artifact(str(path), artifact_path="plots")
        onnx_dir = tmp_path / Path(ONNX_ARTIFACT_PATH).parent
        onnx_dir.mkdir()
        (tmp_path / ONNX_ARTIFACT_PATH).write_bytes(onnx_bytes)
        (tmp_path / SIGNATURE_ARTIFACT_PATH).write_text(
            signature_document(
                contract,
                encoder,
                {"parity_max_abs_diff": f"{parity.max_abs_diff:.3e}", "run_id": run_id},
            )
        )
        mlflow.log_artifacts(str(onnx_dir), artifact_path=str(Path(ONNX_ARTIFACT_PATH).parent))
    native = mlflow.sklearn.log_model(
        pipeline,
        name=NATIVE_MODEL_NAME,
        pip_requirements=pip_requirements,
        skops_trusted_types=trusted_types(pipeline),
    )
    graph = log_onnx_model(onnx_bytes, encoder, pipeline, example)
    mlflow.set_tag(NATIVE_MODEL_TAG, native.model_uri)
    return LoggedModels(onnx_uri=graph, native_uri=native.model_uri)


def input_example(prepared: pd.DataFrame, contract: ModelContract) -> pd.DataFrame:
    """A few complete prepared rows (NaN does not survive the example's JSON), else defaults."""
    complete = prepared.dropna().head(EXAMPLE_ROWS)
    if complete.empty:
        complete = prepare_frame(pd.DataFrame([contract.defaults()]), contract)
    return complete[contract.feature_names].reset_index(drop=True)


def graph_vocabulary(onnx_bytes: bytes, contract: ModelContract) -> FeatureEncoder:
    """The encoder whose vocabulary the exported (lean) graph carries in its metadata."""
    import onnx

    metadata = {p.key: p.value for p in onnx.load_from_string(onnx_bytes).metadata_props}
    if VOCABULARY_METADATA_KEY not in metadata:
        raise ValueError("not a lean-contract graph: export it with onnx_export.pipeline_to_onnx")
    return FeatureEncoder.from_metadata(contract, metadata)


def log_onnx_model(
    onnx_bytes: bytes, encoder: FeatureEncoder, pipeline: Pipeline, example: pd.DataFrame
) -> str:
    """The graph as an ``mlflow.onnx`` model; return its URI.

    The signature is the graph's own: one tensor input ``features`` float32 ``[-1, F]``
    (columns in contract order, categories as ids from the vocabulary in ``signature.json``
    and in the graph's metadata, encoded by ``FeatureEncoder``). The input example is that
    encoded matrix, so ``pyfunc.load_model(...).predict(example)`` (or ``predict`` on
    ``encode_frame(prepare_frame(rows))``) runs as logged. The outputs in the signature are
    the native Pipeline's on the example, as ONNX returns them (``label`` int64 ``[N]``,
    ``probabilities`` float32 ``[N, 2]``). External data stays off: the services download one
    file, ``model.onnx``. Requirements are given, not inferred (inference would load ONNX
    Runtime just to list four packages).
    """
    from importlib.metadata import version

    import onnx

    features = encode_frame(example, encoder)
    proba = np.asarray(pipeline.predict_proba(example), dtype=np.float32)
    outputs = {OUTPUT_LABEL: proba.argmax(axis=1).astype(np.int64), OUTPUT_PROBABILITIES: proba}
    info = mlflow.onnx.log_model(
        onnx.load_from_string(onnx_bytes),
        name=ONNX_MODEL_NAME,
        signature=infer_signature({FEATURES_INPUT: features}, outputs),
        input_example={FEATURES_INPUT: features},
        save_as_external_data=False,
        pip_requirements=[f"{p}=={version(p)}" for p in ("onnx", "onnxruntime", "numpy", "pandas")],
        onnx_execution_providers=["CPUExecutionProvider"],
    )
    return info.model_uri
