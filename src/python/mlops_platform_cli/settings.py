"""Settings of the ``mlops`` CLI (env prefix ``MLOPS_CLI_``).

Connection settings (profile, home, PostgreSQL, Redis, MLflow) are the platform's own
``MLOPS_*`` settings and pass through to every component unchanged, so one switch
(``MLOPS_PROFILE=servers``) moves the whole flow from embedded files to the server stack.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from mlops_common.settings import MlopsBaseSettings, PlatformSettings


class CliSettings(MlopsBaseSettings):
    model_config = SettingsConfigDict(env_prefix="MLOPS_CLI_")

    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    pex_dir: Path = Field(
        default=Path("dist"), description="Where `./pants package` put the PEXes."
    )
    fraud_port: int = 8001
    churn_port: int = 8002
    api_key: str = Field(default="quickstart-key", description="API key the local services accept.")
    users: int = Field(default=400, description="Synthetic customers for the quickstart.")
    transactions: int = Field(
        default=6_000, description="Synthetic transactions for the quickstart."
    )
    days: int = 30
    rules_dir: Path | None = Field(
        default=None, description="Label Engine rules folder (<use_case>.yaml); default: bundled."
    )
    mlflow_port: int = Field(default=5000, description="MLflow server port (servers profile).")
    mlflow_database: str = Field(default="mlflow", description="MLflow backend DB (servers).")

    @property
    def home(self) -> Path:
        return self.platform.home.resolve()

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"
