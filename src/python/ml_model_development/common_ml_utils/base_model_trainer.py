"""The abstract trainer every model project inherits (the seed's ``base_model_trainer.py``).

:meth:`BaseModelTrainer.run` is a template method: load → validate → preprocess → split
(``holdout.py``: out-of-time, entity or random, recorded as ``data_cutoff`` & co.) →
fit → evaluate → export (ONNX + parity gate) → log → register. A model project supplies only
what differs (contract, settings class, data loading, preprocessor, estimator); everything
else (data contract, metrics and plots, MLflow logging in :mod:`.run_logging`, ONNX export,
registry aliases) is shared, so a third model is one new folder. Export runs before registration on purpose: the
parity gate must be able to refuse a version before it exists in the registry.
"""

from __future__ import annotations

import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TextIO

import mlflow
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.data_schemas.training_data_contract import (
    TrainingDataContract,
)
from ml_model_development.common_ml_utils.evaluation_utils import classification_metrics
from ml_model_development.common_ml_utils.holdout import HoldoutRecord, Split, split_frame
from ml_model_development.common_ml_utils.onnx_export import (
    ParityReport,
    check_parity,
    pipeline_to_onnx,
    with_missing_and_unseen,
)
from ml_model_development.common_ml_utils.preprocessing import prepare_frame
from ml_model_development.common_ml_utils.run_logging import (
    Evaluation,
    LoggedModels,
    input_example,
    log_training_run,
)
from ml_model_development.common_ml_utils.settings import TrainingSettings, load_settings
from ml_model_development.common_ml_utils.training_dataset import FeatureServiceSource
from mlops_common.contracts.features import ModelContract
from mlops_common.settings import PlatformSettings


@dataclass
class TrainingResult:
    """What one training run produced (printed as JSON by the CLI)."""

    registered_model_name: str
    run_id: str
    model_version: str | None
    metrics: dict[str, float]
    parity_max_abs_diff: float
    parity_rows: int
    timings_s: dict[str, float] = field(default_factory=dict)


class BaseModelTrainer(ABC):
    """Template for training, evaluating, exporting and registering one binary classifier."""

    contract: ClassVar[ModelContract]
    settings_class: ClassVar[type[TrainingSettings]] = TrainingSettings
    # Which engine scores large batches fastest for this booster (measured when "auto").
    preferred_batch_engine: ClassVar[Literal["native", "onnx"]] = "onnx"

    def __init__(
        self,
        settings: TrainingSettings | None = None,
        platform: PlatformSettings | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings(self.settings_class)
        self.platform = platform if platform is not None else PlatformSettings()
        self.stream = stream if stream is not None else sys.stderr
        self.data_contract = TrainingDataContract(contract=self.contract)

    # -- what a model project supplies ------------------------------------------------------
    @abstractmethod
    def load(self) -> pd.DataFrame:
        """Training frame: contract features + label (usually via the feature service)."""

    @abstractmethod
    def build_preprocessor(self) -> ColumnTransformer:
        """Model-specific preprocessing (category encoding); must be ONNX-convertible."""

    @abstractmethod
    def build_estimator(self) -> object:
        """An unfitted XGBoost/LightGBM sklearn classifier from ``settings.hyperparameters``."""

    # -- shared steps -----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.contract.registered_model_name

    def say(self, message: str) -> None:
        print(f"[{self.contract.use_case}] {message}", file=self.stream, flush=True)

    def validate(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.data_contract.validate_frame(frame)

    def preprocess(self) -> Pipeline:
        return Pipeline(
            [("preprocess", self.build_preprocessor()), ("model", self.build_estimator())]
        )

    def split(self, frame: pd.DataFrame) -> Split:
        """Holdout by ``settings.holdout_strategy``; deterministic and stable across runs."""
        return split_frame(frame, self.settings, self.contract)

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        return prepare_frame(frame, self.contract)

    def labels(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[self.contract.label].astype(int).to_numpy()

    def fit(self, pipeline: Pipeline, train: pd.DataFrame) -> Pipeline:
        return pipeline.fit(self.features(train), self.labels(train))

    def evaluate(self, pipeline: Pipeline, holdout: pd.DataFrame) -> Evaluation:
        """Holdout metrics, with the scores they came from (the run's plots reuse them)."""
        labels = self.labels(holdout)
        proba = pipeline.predict_proba(self.features(holdout))[:, 1]
        metrics = classification_metrics(labels, proba, threshold=self.settings.decision_threshold)
        return Evaluation(metrics=metrics, labels=labels, proba=proba)

    def export(self, pipeline: Pipeline, holdout: pd.DataFrame) -> tuple[bytes, ParityReport]:
        """ONNX graph of the whole pipeline, checked on the holdout + missing/unseen values.

        The gate scores a seeded sample of at most ``parity_sample_rows`` holdout rows plus a
        copy of it with missing values and unseen categories: a conversion bug shows on a
        share of rows (the float32-scaler one flipped 2% of them), and scoring a million
        rows twice more (native and ONNX) would cost more than the training.
        """
        started = time.monotonic()
        onnx_bytes = pipeline_to_onnx(pipeline, self.contract)
        self.say(f"ONNX conversion {time.monotonic() - started:.2f}s, {len(onnx_bytes)} bytes")
        limit = self.settings.parity_sample_rows
        if limit and len(holdout) > limit:
            holdout = holdout.sample(n=limit, random_state=self.settings.random_seed)
        prepared = self.features(holdout).reset_index(drop=True)
        gate_frame = pd.concat(
            [
                prepared,
                with_missing_and_unseen(prepared, self.contract, seed=self.settings.random_seed),
            ],
            ignore_index=True,
        )
        report = check_parity(
            pipeline, onnx_bytes, gate_frame, self.contract, self.settings.parity_tolerance
        )
        return onnx_bytes, report

    def params(self) -> dict[str, object]:
        hp = {f"hp_{k}": v for k, v in self.settings.hyperparameters.model_dump().items()}
        return {
            **hp,
            "feature_service": self.contract.feature_service,
            "features": ",".join(self.contract.feature_names),
            "test_size": self.settings.test_size,
            "random_seed": self.settings.random_seed,
            "decision_threshold": self.settings.decision_threshold,
        }

    def log(
        self,
        run_id: str,
        pipeline: Pipeline,
        split: Split,
        evaluation: Evaluation,
        onnx_bytes: bytes,
        parity: ParityReport,
    ) -> LoggedModels:
        """Params, metrics, plots, training set, ONNX model (signature) and native model."""
        return log_training_run(
            run_id=run_id,
            contract=self.contract,
            pipeline=pipeline,
            split=split,
            evaluation=evaluation,
            onnx_bytes=onnx_bytes,
            parity=parity,
            params=self.params(),
            decision_threshold=self.settings.decision_threshold,
            pip_requirements=self.pip_requirements(),
            example=input_example(self.features(split.holdout), self.contract),
            dataset_source=self.dataset_source(),
        )

    def dataset_source(self) -> FeatureServiceSource:
        """Where the training rows came from: the feature service over the labelled rows."""
        return FeatureServiceSource(
            feature_service=self.contract.feature_service,
            entity_rows=str(
                self.settings.resolve_labels_path(self.platform, self.contract.use_case)
            ),
            feature_repo=str(self.settings.resolve_feature_repo(self.platform)),
        )

    def pip_requirements(self) -> list[str]:
        """Pinned at the versions that trained the model (skips MLflow's slow inference)."""
        from importlib.metadata import version

        packages = ["scikit-learn", "pandas", "numpy", self.booster_distribution()]
        return [f"{p}=={version(p)}" for p in packages]

    def booster_distribution(self) -> str:
        module = type(self.build_estimator()).__module__.split(".")[0]
        return "xgboost-cpu" if module == "xgboost" else module

    def register(
        self, models: LoggedModels, run_id: str, record: HoldoutRecord | None = None
    ) -> str:
        """Register the ONNX model as challenger, linked to its run's native Pipeline; the
        holdout record's tags let promotion find unseen rows."""
        return mlflow_utils.register(
            models.onnx_uri,
            self.name,
            self.contract.challenger_alias,
            tags={
                "run_id": run_id,
                "feature_service": self.contract.feature_service,
                mlflow_utils.NATIVE_MODEL_TAG: models.native_uri,
                **(record.tags() if record is not None else {}),
            },
        )

    # -- the template method ----------------------------------------------------------------
    def load_validated(self) -> pd.DataFrame:
        return self.validate(self.load())

    def run(self) -> TrainingResult:
        timings: dict[str, float] = {}

        def step(label: str, fn, *args):
            started = time.monotonic()
            self.say(f"{label} ...")
            out = fn(*args)
            timings[label] = round(time.monotonic() - started, 3)
            self.say(f"{label} done in {timings[label]:.2f}s")
            return out

        uri = mlflow_utils.configure(self.platform)
        self.say(f"tracking at {uri}")
        frame = step("load", self.load)
        self.say(f"{len(frame)} rows from feature service {self.contract.feature_service}")
        frame = step("validate", self.validate, frame)
        pipeline = step("preprocess", self.preprocess)
        split = step("split", self.split, frame)
        if split.record is not None:
            self.say(f"holdout {split.record.holdout_strategy}: {split.record.describe()}")
        pipeline = step("fit", self.fit, pipeline, split.train)
        evaluation = step("evaluate", self.evaluate, pipeline, split.holdout)
        metrics = evaluation.metrics
        self.say(", ".join(f"{k}={metrics[k]:.4f}" for k in ("roc_auc", "pr_auc")))
        experiment = self.settings.experiment_name or self.name
        experiment_id = step("tracking", mlflow_utils.ensure_experiment, experiment, self.platform)
        with mlflow.start_run(experiment_id=experiment_id) as run:
            run_id = run.info.run_id
            onnx_bytes, parity = step("export", self.export, pipeline, split.holdout)
            self.say(f"parity max |diff| {parity.max_abs_diff:.2e} over {parity.rows} rows")
            models = step("log", self.log, run_id, pipeline, split, evaluation, onnx_bytes, parity)
            version = None
            if self.settings.register_model:
                version = step("register", self.register, models, run_id, split.record)
                self.say(
                    f"registered {self.name} version {version} as '{self.contract.challenger_alias}'"
                )
        return TrainingResult(
            registered_model_name=self.name,
            run_id=run_id,
            model_version=version,
            metrics=metrics,
            parity_max_abs_diff=parity.max_abs_diff,
            parity_rows=parity.rows,
            timings_s=timings,
        )
