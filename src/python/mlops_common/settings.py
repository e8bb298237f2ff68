"""Base settings and deployment profiles shared by every component.

One switch, ``MLOPS_PROFILE``, selects between the *embedded* defaults (files, DuckDB,
SQLite, local MLflow) and the *servers* stack (PostgreSQL, Redis, MLflow server), so the same
code runs on a laptop and on the three servers by configuration only.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MLFLOW_SERVER_URI = "http://127.0.0.1:5000"


class Profile(str, Enum):
    """Where the platform's state lives."""

    EMBEDDED = "embedded"
    SERVERS = "servers"


class MlopsBaseSettings(BaseSettings):
    """Base class for every settings object in the platform.

    Nested values use ``__`` (``TRAINING_HYPERPARAMETERS__N_ESTIMATORS=200``) and a ``.env``
    file is read when present, as the seed design asks; unknown keys are ignored so that one
    ``.env`` can serve several components.
    """

    model_config = SettingsConfigDict(
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )


class PlatformSettings(MlopsBaseSettings):
    """Connection settings shared by all components (env prefix ``MLOPS_``)."""

    model_config = SettingsConfigDict(env_prefix="MLOPS_")

    profile: Profile = Profile.EMBEDDED
    home: Path = Field(
        default=Path("var/mlops"),
        description="Root folder for embedded state: data, registry, MLflow, reports.",
    )
    postgres_dsn: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="PostgreSQL used by the servers profile (offline store, MLflow backend).",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Redis used by the servers profile as the Feast online store.",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="Explicit MLflow tracking URI; derived from the profile when unset.",
    )
    shadow_root: Path | None = Field(
        default=None,
        description=(
            "Folder of the shadow logs (mlops_common.shadow_log): services write, training"
            " reads; default $MLOPS_HOME/shadow. Must be the same (shared or copied) folder"
            " on the serving and the training host."
        ),
    )

    def resolved_shadow_root(self) -> Path:
        """``MLOPS_SHADOW_ROOT``, else ``$MLOPS_HOME/shadow``."""
        return self.shadow_root if self.shadow_root is not None else self.home / "shadow"

    def resolved_mlflow_tracking_uri(self) -> str:
        """Explicit setting, else the local MLflow server (servers) or SQLite under ``home``."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        if self.profile == Profile.SERVERS:
            return DEFAULT_MLFLOW_SERVER_URI
        return f"sqlite:///{(self.home / 'mlflow' / 'mlflow.db').resolve()}"
