"""Batch predictions published to PostgreSQL, one partition (day) at a time (servers profile).

The parquet partition stays the source of truth for drift checks; the table is what other
systems query (case tools, BI, the monthly report). ``publish_partition`` replaces the rows of
one ``partition_date`` inside a single transaction: it creates the schema/table on first use,
adds columns a newer model version brings, deletes the day's old rows and COPYs the new ones.
A failure anywhere rolls everything back, so the previous good rows of that day stay and the
step can simply be re-run; re-running it never duplicates rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

SCHEMA = "mlops_predictions"
PARTITION_COLUMN = "partition_date"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PredictionStoreError(RuntimeError):
    """Publishing failed; the table still holds what it held before (message says why)."""


@dataclass(frozen=True)
class PublishResult:
    table: str
    partition_date: str
    rows: int
    replaced_rows: int


def postgres_type(series: pd.Series) -> str:
    """The column type for a pandas column (anything unknown is stored as text)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp"
    return "text"


def _python_value(value: object) -> object:
    """Plain Python values for COPY (NaN/NaT become NULL)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _checked(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise PredictionStoreError(
            f"{what} {name!r} is not a plain lower-case SQL identifier; rename it"
        )
    return name


def publish_partition(
    frame: pd.DataFrame, dsn: str, table: str, partition_date: date, schema: str = SCHEMA
) -> PublishResult:
    """Replace ``partition_date``'s rows of ``schema.table`` with ``frame`` (one transaction)."""
    _checked(schema, "schema")
    _checked(table, "table")
    columns = [_checked(str(c), "column") for c in frame.columns]
    if PARTITION_COLUMN in columns:
        raise PredictionStoreError(f"the frame already has a '{PARTITION_COLUMN}' column")
    target = sql.Identifier(schema, table)
    types = {c: postgres_type(frame[c]) for c in columns}
    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn, conn.transaction():
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({} date NOT NULL)").format(
                    target, sql.Identifier(PARTITION_COLUMN)
                )
            )
            for column, kind in types.items():
                conn.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                        target, sql.Identifier(column), sql.SQL(kind)
                    )
                )
            conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                    sql.Identifier(f"{table}_{PARTITION_COLUMN}_idx"),
                    target,
                    sql.Identifier(PARTITION_COLUMN),
                )
            )
            deleted = conn.execute(
                sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                    target, sql.Identifier(PARTITION_COLUMN)
                ),
                (partition_date,),
            ).rowcount
            copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
                target, sql.SQL(", ").join(map(sql.Identifier, [PARTITION_COLUMN, *columns]))
            )
            with conn.cursor().copy(copy) as writer:
                for row in frame.itertuples(index=False, name=None):
                    writer.write_row((partition_date, *map(_python_value, row)))
    except psycopg.Error as exc:
        raise PredictionStoreError(
            f"publishing {len(frame)} rows to {schema}.{table} for {partition_date} failed "
            f"(nothing changed; fix and re-run): {exc}"
        ) from exc
    return PublishResult(f"{schema}.{table}", partition_date.isoformat(), len(frame), deleted)
