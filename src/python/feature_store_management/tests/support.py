"""Test constants: where the real PostgreSQL and Redis are, and the data's as-of time."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from feature_store_management.settings import FeatureStoreSettings

PG_DSN = os.environ.get("MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AS_OF = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)

SettingsFactory = Callable[..., FeatureStoreSettings]
