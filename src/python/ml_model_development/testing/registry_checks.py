"""TEST ONLY: what every trained model must leave in MLflow, checked the way users read it.

Shared by the fraud and churn training tests so both models are held to the same record:
the alias loads the served ONNX graph through ``mlflow.pyfunc`` on the encoded ``features``
matrix, with a signature and an input example; the native Pipeline is linked, not registered; the run lists
its training set; no ``stage`` tag.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
from mlflow.tracking import MlflowClient

from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.mlflow_utils import NATIVE_MODEL_TAG
from ml_model_development.common_ml_utils.onnx_export import OnnxScorer, encode_frame
from ml_model_development.common_ml_utils.training_dataset import CONTEXT
from mlops_common.contracts.onnx_signature import (
    FEATURES_INPUT,
    ONNX_ARTIFACT_PATH,
    OUTPUT_LABEL,
    OUTPUT_PROBABILITIES,
    POSITIVE_CLASS_COLUMN,
)


def check_registered_model(trainer: BaseModelTrainer, alias: str = "champion") -> None:
    """Assert the version behind ``alias`` is the ONNX graph with a signature, loadable by
    pyfunc with the graph's own predictions, linked to its Pipeline and its training set."""
    contract, name = trainer.contract, trainer.name
    uri = f"models:/{name}@{alias}"
    client = MlflowClient()
    version = client.get_model_version_by_alias(name, alias)

    info = mlflow.models.get_model_info(uri)
    assert "onnx" in info.flavors and "python_function" in info.flavors
    assert info.signature is not None
    assert info.signature.inputs.input_names() == [FEATURES_INPUT]  # the lean contract
    assert info.signature.outputs.input_names() == [OUTPUT_LABEL, OUTPUT_PROBABILITIES]
    assert info.saved_input_example_info is not None

    # The registered graph is byte for byte the one the services get (run artifact, published).
    folder = Path(mlflow.artifacts.download_artifacts(uri))
    graph = (folder / "model.onnx").read_bytes()
    run_graph = mlflow.artifacts.download_artifacts(
        run_id=version.run_id, artifact_path=ONNX_ARTIFACT_PATH
    )
    assert graph == Path(run_graph).read_bytes()

    # pyfunc on the encoded matrix (categories as ids of the vocabulary the graph carries)
    rows = trainer.features(trainer.load_validated()).head(40).reset_index(drop=True)
    rows = rows[contract.feature_names]
    scorer = OnnxScorer(graph, contract)
    assert scorer.encoder is not None  # a lean-contract graph
    features = encode_frame(rows, scorer.encoder)
    assert (features[:, contract.feature_names.index(contract.categorical[0])] >= 0).any()
    predicted = mlflow.pyfunc.load_model(uri).predict({FEATURES_INPUT: features})
    proba = np.asarray(predicted[OUTPUT_PROBABILITIES])[:, POSITIVE_CLASS_COLUMN]
    served = scorer.positive_proba(rows)
    np.testing.assert_allclose(proba, served, rtol=0, atol=1e-7)
    assert len(np.unique(np.round(proba, 6))) > 1  # not a constant: real rows were scored

    # The native Pipeline is a linked logged model of the same run, within the parity gate.
    native_uri = version.tags[NATIVE_MODEL_TAG]
    assert native_uri.startswith("models:/m-") and native_uri != version.source
    native = mlflow.sklearn.load_model(native_uri).predict_proba(rows)[:, 1]
    np.testing.assert_allclose(native, served, atol=trainer.settings.parity_tolerance)

    # The run lists its training set: source, digest, row count, time range.
    assert version.run_id is not None
    run = client.get_run(version.run_id)
    assert "stage" not in run.data.tags and run.inputs is not None
    training = [
        d
        for d in run.inputs.dataset_inputs
        if {t.key: t.value for t in d.tags}.get("mlflow.data.context") == CONTEXT
    ]
    assert len(training) == 1
    dataset, tags = training[0].dataset, {t.key: t.value for t in training[0].tags}
    assert dataset.source_type == "feast_feature_service" and dataset.digest
    assert dataset.source is not None and dataset.profile is not None
    assert json.loads(dataset.source)["feature_service"] == contract.feature_service
    # The schema is computed per column (training_dataset.frame_schema); None would mean failed.
    assert dataset.schema is not None
    logged_columns = {c["name"] for c in json.loads(dataset.schema)["mlflow_colspec"]}
    assert logged_columns >= {*contract.feature_names, contract.label}
    train_rows = int(run.data.params["train_rows"])
    assert json.loads(dataset.profile)["num_rows"] == train_rows == int(tags["rows"])
    assert tags["time_start"] <= tags["time_end"] <= tags["data_cutoff"]
