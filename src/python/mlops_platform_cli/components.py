"""The component PEXes the CLI drives, and how to run them.

The CLI never imports a component's stack: it runs the component's own PEX (built by Pants,
pinned to its resolve) as a subprocess, which is also how Airflow tasks and the Ansible
roles run them. That keeps one way to do each thing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_common.cli_contract import UserError, eprint
from mlops_common.pex_runner import locate_pex, run_pex_json
from mlops_platform_cli.settings import CliSettings


@dataclass(frozen=True)
class Component:
    pex_name: str
    target: str


COMPONENTS: dict[str, Component] = {
    "features": Component(
        "feature-store-cli", "src/python/feature_store_management:feature-store-cli"
    ),
    "trainer": Component("trainer", "src/python/ml_model_development:trainer"),
    "monitoring": Component("monitoring-cli", "src/python/ml_reporting_monitoring:monitoring-cli"),
    "fraud_api": Component(
        "fraud-detection-api",
        "src/python/ml_model_services/fraud_detection_api:fraud-detection-api",
    ),
    "churn_api": Component(
        "customer-churn-api",
        "src/python/ml_model_services/customer_churn_api:customer-churn-api",
    ),
}


class MissingPexError(UserError):
    """A component PEX is not built; the message names the Pants command that builds it."""


def pex_path(settings: CliSettings, component: str) -> Path:
    spec = COMPONENTS[component]
    try:
        return locate_pex(settings.pex_dir, spec.pex_name)
    except FileNotFoundError:
        raise MissingPexError(
            f"{spec.pex_name}.pex not found under {settings.pex_dir}; build it with "
            f"`./pants package {spec.target}` (or run build-support/quickstart.sh, which builds "
            f"every component), or point MLOPS_CLI_PEX_DIR at the PEX files"
        ) from None


def component_env(settings: CliSettings) -> dict[str, str]:
    """Environment every component gets: the platform settings, absolute, so cwd never matters."""
    env = {
        "MLOPS_PROFILE": settings.platform.profile.value,
        "MLOPS_HOME": str(settings.home),
        "MLOPS_POSTGRES_DSN": settings.platform.postgres_dsn,
        "MLOPS_REDIS_URL": settings.platform.redis_url,
        "MLOPS_MLFLOW_TRACKING_URI": settings.platform.resolved_mlflow_tracking_uri(),
        "PEX_ROOT": os.environ.get("PEX_ROOT", str(settings.home / "pex_root")),
    }
    return env


def run_component(
    settings: CliSettings,
    component: str,
    args: Sequence[str],
    *,
    ok_codes: Sequence[int] = (0,),
    extra_env: dict[str, str] | None = None,
    log: Callable[[str], None] = eprint,
) -> tuple[int, dict]:
    """Run a component PEX; return its exit code and its JSON result (its whole stdout)."""
    env = component_env(settings)
    env.update(extra_env or {})
    return run_pex_json(pex_path(settings, component), args, ok_codes=ok_codes, env=env, log=log)
