"""Batch sources per profile and the request source of the fraud API.

Embedded: the parquet files written by the Spark job and the ETL; servers: their PostgreSQL
tables. Same source names in both, so the registry looks the same to every consumer.
"""

from __future__ import annotations

from feast import Field, FileSource, RequestSource
from feast.data_source import DataSource
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import (
    PostgreSQLSource,
)

from feature_store_management.feature_repo.feast_types import feast_type
from feature_store_management.feature_tables import TIMESTAMP_FIELD
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.contracts.features import FRAUD
from mlops_common.settings import Profile

TRANSACTION_REQUEST = "transaction_request"


def batch_source(settings: FeatureStoreSettings, table: str) -> DataSource:
    """The offline source of feature table ``table`` for the configured profile."""
    name = f"{table}_source"
    if settings.profile == Profile.SERVERS:
        return PostgreSQLSource(
            name=name,
            query=f'select * from "{settings.feature_schema}"."{table}"',
            timestamp_field=TIMESTAMP_FIELD,
        )
    return FileSource(
        name=name,
        path=str(settings.offline_dir / f"{table}.parquet"),
        timestamp_field=TIMESTAMP_FIELD,
    )


transaction_request = RequestSource(
    name=TRANSACTION_REQUEST,
    schema=[
        Field(name=f.name, dtype=feast_type(f.dtype))
        for f in FRAUD.features
        if f.source == "request"
    ],
    description="Fields sent with the transaction being scored.",
)
