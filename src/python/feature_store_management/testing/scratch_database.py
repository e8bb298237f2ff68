"""A throwaway PostgreSQL database for one test session or benchmark run.

Raw, warehouse and feature schemas and the Feast SQL registry all live in it, so a run never
touches anything else on the server, and parallel runs never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from feature_store_management.data_source_connectors.database_connector import normalize_url


@contextmanager
def scratch_database(dsn: str, prefix: str) -> Iterator[str]:
    """Create ``<prefix>_<random>`` on the server of ``dsn``; yield its DSN; drop it after."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalize_url(dsn), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    try:
        yield str(sa.engine.make_url(dsn).set(database=name))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        admin.dispose()
