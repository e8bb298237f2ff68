"""Shared fixtures: settings per profile with unique names so parallel runs never collide."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feature_store_management.settings import FeatureStoreSettings
from feature_store_management.testing.scratch_database import scratch_database
from feature_store_management.tests.support import AS_OF, PG_DSN, REDIS_URL, SettingsFactory
from mlops_common.settings import PlatformSettings, Profile


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """``make_settings(profile, **overrides)``: isolated home, schemas and Feast project."""

    def make(profile: Profile = Profile.EMBEDDED, **overrides: Any) -> FeatureStoreSettings:
        suffix = uuid.uuid4().hex[:10]
        values: dict[str, Any] = {
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
    """DSN of a PostgreSQL database created for this test session and dropped afterwards."""
    with scratch_database(PG_DSN, "fs_test") as dsn:
        yield dsn


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
