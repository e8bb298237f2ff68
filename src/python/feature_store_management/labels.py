"""Label tables and batch-scoring entity rows, derived from the raw data point-in-time correctly.

The trainer reads ``$MLOPS_HOME/labels/<use_case>_labels.parquet`` (entity key,
``event_timestamp``, the request features and the label); batch scoring reads the same kind of
rows for one data interval, without the label. Both come from here so the two can never
disagree on what an entity row is.

* **fraud_detection** — one row per transaction, stamped at the transaction time, with the
  request-time values the API receives (``amount``, ``merchant_category``, ``country``,
  ``hour_of_day``) and the transaction's outcome ``is_fraud``. Feast joins the user's features
  as of that instant; nothing later than the transaction can leak into its row.
* **customer_churn** — one row per user who had signed up by the observation time, stamped at
  the observation time (the ``user_activity`` snapshot the transform step wrote), labelled with
  the generator's ground truth ``churned`` (whether the user leaves after that snapshot).
  Taking the observation time from the stored snapshot, not from "today", keeps labels and
  features aligned even when the labels step runs on another day than the transform.

Files are written atomically (temp file + rename) and rebuilt whole from the raw tables, so
re-running the step gives byte-for-byte the same rows.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from feature_store_management.data_generation.raw_store import (
    read_raw,
    write_parquet_atomically,
)
from feature_store_management.feature_tables import TIMESTAMP_FIELD, read_feature_table
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.contracts.features import CHURN, FRAUD, MODEL_CONTRACTS
from mlops_common.progress import Progress

USE_CASES = tuple(MODEL_CONTRACTS)
FRAUD_ENTITY_COLUMNS = [
    "transaction_id",
    FRAUD.entity_join_key,
    TIMESTAMP_FIELD,
    "amount",
    "merchant_category",
    "country",
    "hour_of_day",
]
CHURN_ENTITY_COLUMNS = [CHURN.entity_join_key, TIMESTAMP_FIELD]


class LabelsError(ValueError):
    """Labels cannot be built from the stored data; the message says which step to run."""


def labels_path(settings: FeatureStoreSettings, use_case: str) -> Path:
    """Where the trainer looks by default (``TrainingSettings.resolve_labels_path``)."""
    return settings.home / "labels" / f"{use_case}_labels.parquet"


def _utc(value: datetime | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC") if ts.tzinfo else ts.tz_localize("UTC")


def fraud_entity_rows(transactions: pd.DataFrame) -> pd.DataFrame:
    """One entity row per transaction with its request-time features (no label)."""
    ts = pd.to_datetime(transactions[TIMESTAMP_FIELD], utc=True).astype("datetime64[us, UTC]")
    frame = pd.DataFrame(
        {
            "transaction_id": transactions["transaction_id"].astype("int64"),
            FRAUD.entity_join_key: transactions[FRAUD.entity_join_key].astype("int64"),
            TIMESTAMP_FIELD: ts,
            "amount": transactions["amount"].astype("float64"),
            "merchant_category": transactions["merchant_category"].astype(str),
            "country": transactions["country"].astype(str),
            "hour_of_day": ts.dt.hour.astype("int64"),
        }
    )
    return frame.sort_values([TIMESTAMP_FIELD, "transaction_id"]).reset_index(drop=True)


def fraud_labels(transactions: pd.DataFrame) -> pd.DataFrame:
    frame = fraud_entity_rows(transactions)
    outcome = transactions.set_index("transaction_id")["is_fraud"].astype("int64")
    frame[FRAUD.label] = frame["transaction_id"].map(outcome).astype("int64")
    return frame


def churn_entity_rows(customers: pd.DataFrame, observed_at: datetime) -> pd.DataFrame:
    """Users already signed up at ``observed_at``, one row each stamped at ``observed_at``."""
    at = _utc(observed_at)
    signup = pd.to_datetime(customers["signup_timestamp"], utc=True)
    known = customers[signup <= at]
    frame = pd.DataFrame(
        {
            CHURN.entity_join_key: known[CHURN.entity_join_key].astype("int64").to_numpy(),
            TIMESTAMP_FIELD: pd.Series([at] * len(known), dtype="datetime64[us, UTC]"),
        }
    )
    return frame.sort_values(CHURN.entity_join_key).reset_index(drop=True)


def churn_labels(customers: pd.DataFrame, observed_at: datetime) -> pd.DataFrame:
    frame = churn_entity_rows(customers, observed_at)
    outcome = customers.set_index(CHURN.entity_join_key)["churned"].astype("int64")
    frame[CHURN.label] = frame[CHURN.entity_join_key].map(outcome).astype("int64")
    return frame


def churn_observation_time(settings: FeatureStoreSettings) -> pd.Timestamp:
    """The ``user_activity`` snapshot time written by the transform step."""
    try:
        activity = read_feature_table(settings, "user_activity")
    except Exception as exc:  # parquet file missing (embedded) or table absent (servers)
        raise LabelsError(
            "no user_activity feature table to align churn labels with; "
            f"run `feature-store-cli transform` first ({exc.__class__.__name__}: {exc})"
        ) from exc
    stamps = pd.to_datetime(activity[TIMESTAMP_FIELD], utc=True).unique()
    if len(stamps) != 1:
        raise LabelsError(
            f"user_activity should be one snapshot, found {len(stamps)} timestamps; "
            "re-run `feature-store-cli transform`"
        )
    return pd.Timestamp(stamps[0])


def build_labels(settings: FeatureStoreSettings) -> dict[str, pd.DataFrame]:
    transactions = read_raw(settings, "transactions")
    customers = read_raw(settings, "customers")
    return {
        FRAUD.use_case: fraud_labels(transactions),
        CHURN.use_case: churn_labels(customers, churn_observation_time(settings)),
    }


def run(settings: FeatureStoreSettings) -> dict[str, int]:
    """Write both label tables atomically; returns rows per use case."""
    progress = Progress("labels")
    rows: dict[str, int] = {}
    for use_case, frame in build_labels(settings).items():
        label = MODEL_CONTRACTS[use_case].label
        if frame[label].nunique() < 2:
            raise LabelsError(
                f"{use_case} labels have a single class ({len(frame)} rows); "
                "generate more data (--users/--transactions) before training"
            )
        write_parquet_atomically(frame, labels_path(settings, use_case))
        rows[use_case] = len(frame)
    progress.finish(", ".join(f"{k}={v}" for k, v in rows.items()))
    return rows


def entity_rows(
    settings: FeatureStoreSettings, use_case: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Rows to batch-score for the interval ``[start, end)``.

    Fraud: the interval's transactions. Churn: every user signed up by ``end``, observed at
    ``end`` (the features Feast joins are those known at the end of the interval).
    """
    lo, hi = _utc(start), _utc(end)
    if hi <= lo:
        raise LabelsError(f"empty interval: end {hi} is not after start {lo}")
    if use_case == FRAUD.use_case:
        transactions = read_raw(settings, "transactions")
        ts = pd.to_datetime(transactions[TIMESTAMP_FIELD], utc=True)
        return fraud_entity_rows(transactions[(ts >= lo) & (ts < hi)])
    if use_case == CHURN.use_case:
        return churn_entity_rows(read_raw(settings, "customers"), hi)
    raise LabelsError(f"unknown use case {use_case!r}; expected one of {list(USE_CASES)}")


def write_entity_rows(
    settings: FeatureStoreSettings, use_case: str, start: datetime, end: datetime, output: Path
) -> int:
    frame = entity_rows(settings, use_case, start, end)
    write_parquet_atomically(frame, output)
    return len(frame)
