"""Settings every model API shares (env prefix ``MLOPS_SERVICE_``).

The connection settings (``MLOPS_PROFILE``, ``MLOPS_HOME``, ``MLOPS_REDIS_URL``,
``MLOPS_MLFLOW_TRACKING_URI``) come from the platform's settings, so a service reads the same
environment file as every other component. Each service subclasses :class:`ServiceSettings`
to set its own defaults (name, port, registered model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from mlops_common.settings import MlopsBaseSettings, PlatformSettings, Profile


class ServiceSettings(MlopsBaseSettings):
    """What a model API needs; every value can be overridden by ``MLOPS_SERVICE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="MLOPS_SERVICE_", protected_namespaces=())

    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    name: str = Field(default="model-service", description="Service name in metrics and logs.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # --- authentication -----------------------------------------------------------------
    api_key: str | None = Field(
        default=None,
        description="One accepted API key (the same variable the Airflow hook sends).",
    )
    api_keys: str = Field(default="", description="More accepted keys, comma-separated.")
    api_keys_file: Path | None = Field(
        default=None, description="Secret file with one accepted key per line (# comments)."
    )
    auth_disabled: bool = Field(
        default=False,
        validation_alias=AliasChoices("MLOPS_SERVICE_AUTH_DISABLED", "AUTH_DISABLED"),
        description="Local development only: accept requests without a key.",
    )

    # --- model ---------------------------------------------------------------------------
    registered_model_name: str = ""
    model_alias: str = "champion"
    model_cache_dir: Path | None = Field(
        default=None, description="Local model cache; default $MLOPS_HOME/serving/model_cache."
    )
    registry_timeout_s: float = Field(default=10.0, gt=0)
    reload_poll_seconds: float = Field(
        default=0.0, ge=0, description="Poll the registry alias every N seconds (0 = off)."
    )
    ort_threads: int = Field(default=1, ge=1, le=64)

    # --- challenger: shadow scoring and canary decisions (shadow_scoring.py) ----------------
    shadow_share: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of requests the challenger also scores off the hot path (0 = off).",
    )
    canary_share: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of entities (sticky per entity id) the challenger decides for.",
    )
    challenger_alias: str = Field(
        default="challenger",
        description="Registry alias of the challenger; served only while tagged shadow_state=shadow.",
    )
    shadow_queue_max: int = Field(
        default=10_000, ge=1, description="Shadow pairs waiting for the worker; more are dropped."
    )

    # --- online features -----------------------------------------------------------------
    online_store: Literal["auto", "redis", "sqlite"] = Field(
        default="auto", description="auto = redis for the servers profile, sqlite embedded."
    )
    feast_project: str = Field(default="mlops", description="Feast project of the feature repo.")
    sqlite_path: Path | None = Field(
        default=None,
        description="Feast SQLite online store; default $MLOPS_HOME/feature_repo/data/online_store.db.",
    )
    redis_url: str | None = Field(default=None, description="Default: MLOPS_REDIS_URL.")
    feature_timeout_ms: float = Field(default=100.0, gt=0)
    feature_retry_after_s: float = Field(
        default=1.0, ge=0, description="After an online-store failure, serve defaults this long."
    )

    # --- limits, rules, logs ---------------------------------------------------------------
    max_batch: int = Field(default=256, ge=1, le=10_000)
    coalesce_max: int = Field(
        default=64,
        ge=1,
        le=1_000,
        description="Single predictions arriving together are scored as one batch of up to N "
        "(score_coalescer.py); 1 = each on its own.",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    rules_file: Path | None = Field(
        default=None, description="Label Engine rules YAML; default: the bundled file."
    )
    log_requests: bool = True
    decision_sample_size: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Recent decisions kept in memory for the feature-skew check.",
    )
    otel_enabled: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry (spans/metrics/logs); off: Prometheus + JSON logs.",
    )

    @field_validator("api_keys_file", "model_cache_dir", "sqlite_path", "rules_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def accepted_api_keys(self) -> list[str]:
        keys = [k.strip() for k in self.api_keys.split(",") if k.strip()]
        if self.api_key:
            keys.append(self.api_key.strip())
        if self.api_keys_file is not None:
            for line in self.api_keys_file.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    keys.append(line)
        return keys

    @property
    def challenger_enabled(self) -> bool:
        return self.shadow_share > 0 or self.canary_share > 0

    @property
    def resolved_online_store(self) -> str:
        if self.online_store != "auto":
            return self.online_store
        return "redis" if self.platform.profile == Profile.SERVERS else "sqlite"

    @property
    def resolved_redis_url(self) -> str:
        return self.redis_url or self.platform.redis_url

    @property
    def resolved_sqlite_path(self) -> Path:
        if self.sqlite_path is not None:
            return self.sqlite_path
        return self.platform.home.resolve() / "feature_repo" / "data" / "online_store.db"

    @property
    def resolved_cache_dir(self) -> Path:
        if self.model_cache_dir is not None:
            return self.model_cache_dir
        return self.platform.home.resolve() / "serving" / "model_cache"

    @property
    def published_models_dir(self) -> Path:
        """Where the trainer publishes champions for consumers without a registry server."""
        return self.platform.home.resolve() / "models"
