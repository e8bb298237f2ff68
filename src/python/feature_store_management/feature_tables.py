"""Feature tables where the Feast offline store reads them, written idempotently.

Embedded: one parquet file per feature view under ``$MLOPS_HOME/features/offline`` (temp file
+ rename). Servers: one PostgreSQL table per feature view in ``FEATURES_FEATURE_SCHEMA``
(replaced in one transaction). Re-running a job replaces its table: same rows, no duplicates.
"""

from __future__ import annotations

import pandas as pd

from feature_store_management.data_generation.raw_store import store_frame
from feature_store_management.data_source_connectors.database_connector import create_engine
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.settings import Profile

TIMESTAMP_FIELD = "event_timestamp"


def write_feature_table(settings: FeatureStoreSettings, name: str, frame: pd.DataFrame) -> int:
    if frame[["user_id", TIMESTAMP_FIELD]].duplicated().any():
        raise ValueError(
            f"feature table '{name}' has duplicate (user_id, {TIMESTAMP_FIELD}) rows; "
            "Feast would pick one arbitrarily"
        )
    frame = frame.copy()
    frame[TIMESTAMP_FIELD] = pd.to_datetime(frame[TIMESTAMP_FIELD], utc=True).astype(
        "datetime64[us, UTC]"
    )
    return store_frame(
        settings, frame, name, settings.feature_schema, settings.offline_dir / f"{name}.parquet"
    )


def read_feature_table(settings: FeatureStoreSettings, name: str) -> pd.DataFrame:
    if settings.profile == Profile.SERVERS:
        engine = create_engine(settings.platform.postgres_dsn)
        try:
            with engine.connect() as conn:
                return pd.read_sql_table(name, conn, schema=settings.feature_schema)
        finally:
            engine.dispose()
    return pd.read_parquet(settings.offline_dir / f"{name}.parquet")
