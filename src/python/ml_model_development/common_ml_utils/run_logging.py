"""What one training run leaves in MLflow: params, metrics, holdout tags, plots, the native
model and the ONNX graph with its signature.

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
import numpy as np
from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils.evaluation_utils import save_plots
from ml_model_development.common_ml_utils.holdout import Split
from ml_model_development.common_ml_utils.onnx_export import ParityReport, signature_document
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH, SIGNATURE_ARTIFACT_PATH

NATIVE_MODEL_NAME = "model"  # MLflow logged-model name of the sklearn Pipeline


@dataclass(frozen=True)
class Evaluation:
    """Holdout metrics and the scores they came from (the plots reuse the scores)."""

    metrics: dict[str, float]
    labels: np.ndarray
    proba: np.ndarray


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
) -> str:
    """Log everything of the active run ``run_id``; return the native model's URI."""
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
                {"parity_max_abs_diff": f"{parity.max_abs_diff:.3e}", "run_id": run_id},
            )
        )
        mlflow.log_artifacts(str(onnx_dir), artifact_path=str(Path(ONNX_ARTIFACT_PATH).parent))
    info = mlflow.sklearn.log_model(
        pipeline,
        name=NATIVE_MODEL_NAME,
        pip_requirements=pip_requirements,
        skops_trusted_types=trusted_types(pipeline),
    )
    return info.model_uri
