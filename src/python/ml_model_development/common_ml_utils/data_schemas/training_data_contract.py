"""The training data contract: refuse bad data before a model is fit on it.

A model trained on a frame with a missing label, an all-null feature, a text column where a
number belongs or a column that leaks the label looks fine in its metrics and fails in
production, so these checks run first and name the problem.
"""

from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes
from pydantic import BaseModel, ConfigDict, Field

from mlops_common.contracts.features import ModelContract

# Columns known to be outcomes of the label (post-event information); present in raw label
# tables, never allowed into a training frame.
DEFAULT_LEAKAGE_COLUMNS = (
    "chargeback",
    "chargeback_at",
    "fraud_confirmed_at",
    "churned_at",
    "cancellation_date",
    "label_timestamp",
)
METADATA_COLUMNS = ("event_timestamp", "created_timestamp")


class TrainingDataError(ValueError):
    """The training frame breaks the contract; the message lists every problem found."""


class TrainingDataContract(BaseModel):
    """What a training frame for one model must look like."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    contract: ModelContract
    min_rows: int = Field(default=20, ge=1)
    leakage_columns: tuple[str, ...] = DEFAULT_LEAKAGE_COLUMNS

    def problems(self, frame: pd.DataFrame) -> list[str]:
        c = self.contract
        found: list[str] = []
        if c.label not in frame.columns:
            found.append(f"label column '{c.label}' is missing")
        else:
            label = frame[c.label]
            if label.isna().any():
                found.append(f"label '{c.label}' has {int(label.isna().sum())} null values")
            values = set(pd.unique(label.dropna()))
            if not values <= {0, 1, True, False}:
                found.append(f"label '{c.label}' must be 0/1, found {sorted(map(str, values))[:5]}")
            elif len(values) < 2:
                found.append(f"label '{c.label}' has a single class; need both 0 and 1")
        if len(frame) < self.min_rows:
            found.append(f"only {len(frame)} rows; need at least {self.min_rows}")
        for spec in c.features:
            if spec.name not in frame.columns:
                found.append(f"feature '{spec.name}' is missing")
                continue
            col = frame[spec.name]
            if col.isna().all():
                found.append(f"feature '{spec.name}' is entirely null")
                continue
            if spec.dtype == "string":
                if not (ptypes.is_object_dtype(col) or ptypes.is_string_dtype(col)):
                    found.append(f"feature '{spec.name}' must be string, got {col.dtype}")
            elif not ptypes.is_numeric_dtype(col) or ptypes.is_bool_dtype(col):
                found.append(
                    f"feature '{spec.name}' must be numeric ({spec.dtype}), got {col.dtype}"
                )
        for name in frame.columns:
            if name in self.leakage_columns:
                found.append(f"leakage column '{name}' present: it is known only after the label")
        if c.label in frame.columns and not frame[c.label].isna().any():
            allowed = set(c.feature_names) | {c.label, c.entity_join_key, *METADATA_COLUMNS}
            for name in frame.columns:
                if name in allowed or name in self.leakage_columns:
                    continue
                if frame[name].equals(frame[c.label]):
                    found.append(f"leakage column '{name}' duplicates the label '{c.label}'")
        return found

    def validate_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` unchanged when it satisfies the contract, else raise."""
        found = self.problems(frame)
        if found:
            raise TrainingDataError(
                f"training data for '{self.contract.registered_model_name}' refused:\n  - "
                + "\n  - ".join(found)
                + "\nFix the feature service or label table, then train again."
            )
        return frame
