"""The training set of a run as an MLflow dataset input (``mlflow.log_input``).

The run lists the rows the model was fitted on: name, digest (MLflow's hash of the frame, so
two runs on the same rows show the same digest), source, schema, row count (the dataset's
profile) and, as input tags, the time range and data cutoff. The rows come from a Feast feature
service joined to labelled entity rows, which no built-in MLflow source describes, so
:class:`FeatureServiceSource` records the feature service and the entity rows' location.
Only the metadata is logged, never the rows themselves.
"""

from __future__ import annotations

import warnings
from typing import Any

import mlflow
import pandas as pd
from mlflow.data.dataset_source import DatasetSource
from mlflow.data.pandas_dataset import from_pandas

from ml_model_development.common_ml_utils.holdout import TIMESTAMP, Split, iso
from mlops_common.contracts.features import ModelContract

CONTEXT = "training"


class FeatureServiceSource(DatasetSource):
    """A Feast feature service's historical features for a file of labelled entity rows."""

    def __init__(self, feature_service: str, entity_rows: str = "", feature_repo: str = ""):
        self.feature_service = feature_service
        self.entity_rows = entity_rows
        self.feature_repo = feature_repo

    @staticmethod
    def _get_source_type() -> str:
        return "feast_feature_service"

    def load(self, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "re-read the training set with the trainer (`trainer train <model>`), not MLflow"
        )

    @staticmethod
    def _can_resolve(raw_source: Any) -> bool:
        return False  # only built explicitly by the trainer

    @classmethod
    def _resolve(cls, raw_source: Any) -> FeatureServiceSource:
        raise NotImplementedError(raw_source)

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_service": self.feature_service,
            "entity_rows": self.entity_rows,
            "feature_repo": self.feature_repo,
        }

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> FeatureServiceSource:
        return cls(**{k: str(v) for k, v in source_dict.items()})


def dataset_tags(frame: pd.DataFrame, split: Split) -> dict[str, str]:
    """Row count, time range and data cutoff of the training rows, as input tags."""
    tags = {"rows": str(len(frame))}
    if TIMESTAMP in frame.columns and len(frame):
        times = pd.to_datetime(frame[TIMESTAMP], utc=True)
        tags["time_start"] = str(iso(times.min()))
        tags["time_end"] = str(iso(times.max()))
    if split.record is not None and split.record.data_cutoff is not None:
        tags["data_cutoff"] = str(iso(split.record.data_cutoff))
    return tags


def log_training_set(split: Split, contract: ModelContract, source: FeatureServiceSource) -> None:
    """``mlflow.log_input`` of ``split.train`` (context ``training``) into the active run."""
    columns = [c for c in (*contract.feature_names, contract.label) if c in split.train.columns]
    extra = [TIMESTAMP] if TIMESTAMP in split.train.columns else []
    frame = split.train[extra + columns]
    with warnings.catch_warnings():
        # The 0/1 label is an integer column; MLflow's hint about missing integers is about
        # inference inputs, and a training label is never missing (the data contract).
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        dataset = from_pandas(
            frame,
            source=source,
            targets=contract.label,
            name=f"{contract.feature_service}_train",
        )
    mlflow.log_input(dataset, context=CONTEXT, tags=dataset_tags(frame, split))
