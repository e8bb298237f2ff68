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


def drop_redis_project(redis_url: str, project: str) -> int:
    """Delete every online-store key of Feast project ``project`` (Feast's Redis keys end
    with the project name) and its recent payments (``<project>:recent_transactions:*``);
    returns how many were deleted."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=b"*" + project.encode(), count=1000))
        keys += client.scan_iter(match=project.encode() + b":recent_transactions:*", count=1000)
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()
