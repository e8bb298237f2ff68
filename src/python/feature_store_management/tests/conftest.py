"""Shared fixtures: settings per profile with unique names so parallel runs never collide."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from feature_store_management.data_source_connectors.database_connector import normalize_url
from feature_store_management.settings import FeatureStoreSettings
from feature_store_management.tests.support import AS_OF, PG_DSN, REDIS_URL, SettingsFactory
from mlops_common.settings import PlatformSettings, Profile


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """``make_settings(profile, **overrides)``: isolated home, schemas and Feast project."""

    def make(profile: Profile = Profile.EMBEDDED, **overrides: object) -> FeatureStoreSettings:
        suffix = uuid.uuid4().hex[:10]
        values: dict[str, object] = {
            "platform": PlatformSettings(
                profile=profile,
                home=tmp_path / f"home_{profile.value}",
                postgres_dsn=PG_DSN,
                redis_url=REDIS_URL,
            ),
            "project": f"t_{suffix}",
            "raw_schema": f"raw_{suffix}",
            "warehouse_schema": f"wh_{suffix}",
            "feature_schema": f"feat_{suffix}",
            "n_users": 150,
            "n_transactions": 1500,
            "days": 30,
            "as_of": AS_OF,
        }
        values.update(overrides)
        return FeatureStoreSettings(**values)

    return make


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """DSN of a PostgreSQL database created for this test session and dropped afterwards.

    Raw, warehouse and feature schemas and the Feast SQL registry all live in it, so a test
    session never touches anything else on the server.
    """
    name = f"fs_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalize_url(PG_DSN), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    try:
        yield str(sa.engine.make_url(PG_DSN).set(database=name))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        admin.dispose()


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session per test process (JVM start-up is the slow part)."""
    from feature_store_management.data_transformation_pipelines.spark.transaction_aggregates import (
        spark_session,
    )

    session = spark_session("local[1]")
    try:
        yield session
    finally:
        session.stop()
