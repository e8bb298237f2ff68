"""Online features for the services: the reader of the configured store.

The readers read Feast's own storage layout directly (:mod:`.feast_layout`), one per store:
:mod:`.redis_feature_reader` and :mod:`.sqlite_feature_reader`, both behind the interface of
:mod:`.online_reader`. The layout helpers are re-exported here because benchmarks import them
from this path.
"""

from __future__ import annotations

from pathlib import Path

from ml_model_services.common_service_libs.feast_layout import (
    decode_value,
    redis_field,
    serialize_entity_key,
)
from ml_model_services.common_service_libs.online_reader import (
    FeatureStoreUnavailable,
    OnlineFeatureReader,
)
from ml_model_services.common_service_libs.redis_feature_reader import RedisFeatureReader
from ml_model_services.common_service_libs.sqlite_feature_reader import SqliteFeatureReader
from mlops_common.contracts.features import ModelContract

__all__ = [
    "FeatureStoreUnavailable",
    "OnlineFeatureReader",
    "RedisFeatureReader",
    "SqliteFeatureReader",
    "decode_value",
    "make_reader",
    "redis_field",
    "serialize_entity_key",
]


def make_reader(
    contract: ModelContract,
    kind: str,
    project: str,
    *,
    redis_url: str | None = None,
    sqlite_path: Path | None = None,
    timeout_s: float = 0.1,
) -> OnlineFeatureReader:
    """The reader of ``kind`` (``redis`` or ``sqlite``, from the service settings)."""
    if kind == "redis":
        if not redis_url:
            raise ValueError("redis online store needs a redis URL")
        return RedisFeatureReader(contract, project, redis_url, timeout_s)
    if kind == "sqlite":
        if sqlite_path is None:
            raise ValueError("sqlite online store needs a path")
        return SqliteFeatureReader(contract, project, sqlite_path)
    raise ValueError(f"unknown online store {kind!r}")
