"""Where raw tables live: parquet files (embedded) or PostgreSQL tables (servers).

Every write validates first and then replaces the table atomically (temp file + rename, or one
transaction), so a rejected file never destroys the data that was loaded before it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from feature_store_management.data_generation.raw_schemas import RAW_TABLES, RawDataError
from feature_store_management.data_source_connectors.database_connector import (
    create_engine,
    write_frame,
)
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.atomic_files import atomic_path
from mlops_common.settings import Profile


def write_parquet_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Readers of the raw store never see half a parquet file."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def write_table(engine: sa.Engine, frame: pd.DataFrame, table: str, schema: str) -> int:
    with engine.begin() as conn:
        conn.execute(sa.text(f'create schema if not exists "{schema}"'))
    return write_frame(engine, frame, table, schema=schema)


def store_frame(
    settings: FeatureStoreSettings, frame: pd.DataFrame, name: str, schema: str, parquet: Path
) -> int:
    """Replace table ``schema.name`` (servers) or the ``parquet`` file (embedded) with ``frame``."""
    if settings.profile == Profile.SERVERS:
        engine = create_engine(settings.platform.postgres_dsn)
        try:
            return write_table(engine, frame, name, schema)
        finally:
            engine.dispose()
    write_parquet_atomically(frame, parquet)
    return len(frame)


def load_raw(settings: FeatureStoreSettings, table: str, frame: pd.DataFrame) -> int:
    """Validate ``frame`` against raw table ``table`` and store it; returns the row count."""
    if table not in RAW_TABLES:
        raise RawDataError(f"unknown raw table '{table}'; expected one of {sorted(RAW_TABLES)}")
    clean = RAW_TABLES[table].validate(frame)
    return store_frame(
        settings, clean, table, settings.raw_schema, settings.raw_dir / f"{table}.parquet"
    )


def load_raw_file(settings: FeatureStoreSettings, table: str, path: Path) -> int:
    """Load a parquet or CSV file as raw table ``table`` (validated; see :func:`load_raw`)."""
    frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    return load_raw(settings, table, frame)


def read_raw(settings: FeatureStoreSettings, table: str) -> pd.DataFrame:
    """The stored raw table with canonical dtypes."""
    if settings.profile == Profile.SERVERS:
        engine = create_engine(settings.platform.postgres_dsn)
        try:
            with engine.connect() as conn:
                frame = pd.read_sql_table(table, conn, schema=settings.raw_schema)
        finally:
            engine.dispose()
    else:
        path = settings.raw_dir / f"{table}.parquet"
        if not path.exists():
            raise FileNotFoundError(
                f"raw table '{table}' not found at {path}; run `feature-store-cli data` first"
            )
        frame = pd.read_parquet(path)
    return RAW_TABLES[table].validate(frame)
