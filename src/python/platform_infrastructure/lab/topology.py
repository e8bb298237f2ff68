"""Where the lab's three servers keep their files and answer, as ``site.yml`` deployed them.

The lab inventory (``src/ansible/inventories/lab``) puts server N on a loopback address and
its files under ``<lab root>/serverN``; this module is the one place that knows those paths
and ports, for ``lab.sh``, the lab CLI and the tests.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from platform_infrastructure import process_runner

DEFAULT_ADDRESSES = {"server1": "127.0.0.11", "server2": "127.0.0.12", "server3": "127.0.0.13"}
SERVERS = tuple(DEFAULT_ADDRESSES)
# Registered model and service port of each model API on server 3.
MODEL_APIS = {
    "fraud-detection-api": ("fraud_detection_xgboost", 8001),
    "customer-churn-api": ("customer_churn_lightgbm", 8002),
}
# Every process server 2 runs: what "stop all of server 2" stops.
SERVER2_PROCESSES = (
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "mlflow-server",
    "redis",
)


@dataclass(frozen=True)
class Lab:
    root: Path
    addresses: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ADDRESSES))

    # --- addresses --------------------------------------------------------------------------
    @property
    def airflow_url(self) -> str:
        return f"http://{self.addresses['server2']}:8080"

    @property
    def mlflow_url(self) -> str:
        return f"http://{self.addresses['server2']}:5000"

    def api_url(self, service: str) -> str:
        return f"http://{self.addresses['server3']}:{MODEL_APIS[service][1]}"

    @property
    def prometheus_url(self) -> str:
        return f"http://{self.addresses['server3']}:9090"

    @property
    def alertmanager_url(self) -> str:
        return f"http://{self.addresses['server3']}:9093"

    # --- files --------------------------------------------------------------------------
    def server_root(self, server: str) -> Path:
        return self.root / server

    def airflow_password(self, user: str = "admin") -> str:
        path = self.server_root("server2") / "airflow" / "simple_auth_manager_passwords.json"
        return str(json.loads(path.read_text())[user])

    def env_file(self, server: str, name: str = "platform.env") -> dict[str, str]:
        """``KEY=value`` lines of a rendered env file (values shell-quoted by the templates)."""
        values: dict[str, str] = {}
        for line in (self.server_root(server) / "etc" / name).read_text().splitlines():
            if line and not line.startswith("#") and "=" in line:
                key, raw = line.split("=", 1)
                parts = shlex.split(raw)
                values[key] = parts[0] if parts else ""
        return values

    def service_api_key(self, service: str) -> str:
        path = self.server_root("server3") / "services" / service / "config" / "service.env"
        for line in path.read_text().splitlines():
            if line.startswith("MLOPS_SERVICE_API_KEY="):
                return shlex.split(line.split("=", 1)[1])[0]
        raise KeyError(f"MLOPS_SERVICE_API_KEY not in {path}")

    # --- processes (mlops-runner) -----------------------------------------------------------
    def _runner(self, server: str) -> Path:
        return self.server_root(server) / "bin" / "mlops-runner"

    def processes(self, server: str) -> list[str]:
        run_dir = self.server_root(server) / "run"
        return sorted(p.stem for p in run_dir.glob("*.pid")) if run_dir.is_dir() else []

    def _runner_call(self, server: str, *args: str) -> str:
        runner = self._runner(server)
        if not runner.exists():
            return "no runner installed"
        proc = subprocess.run(
            [str(runner), *args], capture_output=True, text=True, check=False, env=dict(os.environ)
        )
        return (proc.stdout + proc.stderr).strip()

    def stop(self, server: str, name: str) -> str:
        return process_runner.stop(self.server_root(server), name)

    def start(self, server: str, name: str) -> str:
        """Start a stopped process again with the launch script the playbook rendered."""
        launch = self.server_root(server) / "bin" / f"{name}.sh"
        return self._runner_call(server, "start", name, str(launch))

    def is_running(self, server: str, name: str) -> bool:
        return self._runner_call(server, "status", name).startswith("running")
