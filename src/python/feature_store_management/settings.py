"""Settings of the feature-store component (env prefix ``FEATURES_``).

Where raw data, warehouse tables and the rendered Feast repository live is derived from the
platform profile (``MLOPS_PROFILE``) and ``MLOPS_HOME``, so the same commands run embedded
(files, DuckDB, SQLite) or against the servers (PostgreSQL, Redis) by configuration only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from mlops_common.settings import MlopsBaseSettings, PlatformSettings, Profile


def _today_utc() -> datetime:
    return datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class FeatureStoreSettings(MlopsBaseSettings):
    """Everything the CLI needs; each value can be overridden by ``FEATURES_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FEATURES_")

    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    project: str = Field(default="mlops", description="Feast project name.")
    raw_schema: str = Field(default="raw", description="PostgreSQL schema of raw tables.")
    warehouse_schema: str = Field(
        default="analytics", description="Schema dbt builds staging and mart models in."
    )
    feature_schema: str = Field(
        default="features", description="PostgreSQL schema of tables Feast reads (servers)."
    )
    n_users: int = Field(default=1_000, description="Synthetic customers to generate.")
    n_transactions: int = Field(default=10_000, description="Synthetic transactions.")
    seed: int = 42
    days: int = Field(default=60, description="Days of transaction history.")
    as_of: datetime = Field(
        default_factory=_today_utc,
        description="End of the generated history and the activity snapshot time (UTC).",
    )
    spark_master: str = Field(default="local[1]", description="Spark master URL.")

    @property
    def profile(self) -> Profile:
        return self.platform.profile

    @property
    def home(self) -> Path:
        return self.platform.home.resolve()

    @property
    def data_dir(self) -> Path:
        """Embedded state of this component: raw files, DuckDB warehouse, feature tables."""
        return self.home / "features"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def offline_dir(self) -> Path:
        """Parquet feature tables the embedded (file) offline store reads."""
        return self.data_dir / "offline"

    @property
    def duckdb_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def repo_dir(self) -> Path:
        """The rendered, ready-to-use Feast repository other components point at."""
        return self.home / "feature_repo"
