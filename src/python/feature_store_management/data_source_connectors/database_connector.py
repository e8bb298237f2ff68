"""Relational sources through SQLAlchemy: PostgreSQL on the servers, DuckDB embedded.

Secrets never live in the repo: the URL comes from the environment (``MLOPS_SOURCE_DB_URL``)
or from ``connections.ini`` copied from the committed template.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

DEFAULT_INI = Path(__file__).parent / "config" / "connections.ini"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (the driver Feast installs)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def source_url(name: str = "warehouse", ini_path: Path | None = None) -> str:
    """The URL of source ``name``: env ``MLOPS_SOURCE_<NAME>_URL`` first, then the ini file."""
    env_key = f"MLOPS_SOURCE_{name.upper()}_URL"
    if os.environ.get(env_key):
        return os.environ[env_key]
    path = ini_path or DEFAULT_INI
    parser = configparser.ConfigParser()
    if not parser.read(path) or not parser.has_option(name, "url"):
        raise LookupError(
            f"no connection for source '{name}': set {env_key} or add [{name}] url=... to "
            f"{path} (copy connections.ini.template)"
        )
    return parser.get(name, "url")


def create_engine(url: str) -> sa.Engine:
    return sa.create_engine(normalize_url(url), pool_pre_ping=True)


def read_sql(
    engine: sa.Engine, query: str, params: dict[str, object] | None = None
) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(sa.text(query), conn, params=params)


def write_frame(
    engine: sa.Engine, frame: pd.DataFrame, table: str, schema: str | None = None
) -> int:
    """Replace the rows of ``table`` with ``frame`` in one transaction.

    Readers never see half a table, and views built on it (dbt staging models) survive: an
    existing table with the same columns is emptied and refilled rather than dropped (a plain
    ``DROP TABLE`` fails while views depend on it). A table whose columns changed is dropped
    with its dependent views, which the next ``dbt run`` recreates.
    """
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        if inspector.has_table(table, schema=schema):
            existing = [c["name"] for c in inspector.get_columns(table, schema=schema)]
            qualified = f'"{schema}"."{table}"' if schema else f'"{table}"'
            if existing == [str(c) for c in frame.columns]:
                conn.exec_driver_sql(f"delete from {qualified}")
            else:
                conn.exec_driver_sql(f"drop table {qualified} cascade")
        frame.to_sql(table, conn, schema=schema, if_exists="append", index=False, chunksize=10_000)
    return len(frame)
