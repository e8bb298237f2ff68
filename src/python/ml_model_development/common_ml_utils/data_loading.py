"""Load a model's training frame: label table (entity rows) + feature service from Feast."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml_model_development.common_ml_utils.feature_store_client import FeatureStoreClient
from mlops_common.contracts.features import ModelContract


class LabelTableError(ValueError):
    """The entity/label table is missing or lacks the columns the feature service needs."""


def read_entity_frame(path: Path, contract: ModelContract, require_label: bool) -> pd.DataFrame:
    """Entity rows (join key, ``event_timestamp``, request features, label) from parquet."""
    if not Path(path).exists():
        raise LabelTableError(
            f"label table {path} not found; build it with the feature store pipeline or set"
            " TRAINING_LABELS_PATH"
        )
    frame = pd.read_parquet(path)
    required = [contract.entity_join_key, "event_timestamp"]
    required += [f.name for f in contract.features if f.source == "request"]
    if require_label:
        required.append(contract.label)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise LabelTableError(f"label table {path} lacks columns {missing}")
    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
    return frame


def load_training_frame(
    repo_path: Path, entity_frame: pd.DataFrame, contract: ModelContract
) -> pd.DataFrame:
    """Point-in-time join of the contract's feature service onto the entity rows."""
    client = FeatureStoreClient(repo_path)
    frame = client.get_training_frame(entity_frame, contract.feature_service)
    # Feast's PostgreSQL offline store returns the entity timestamps without a zone (they are
    # UTC), the file store with it: the holdout's time cutoffs compare against tz-aware tags.
    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
    return frame.sort_values([contract.entity_join_key, "event_timestamp"]).reset_index(drop=True)
