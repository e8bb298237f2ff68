"""The compose stack as podman-compose resolves it (``--dry-run up``: no container starts).

podman-compose 1.0.3 (Debian 12) has no ``config`` command; its dry run parses the file,
interpolates variables, orders services by ``depends_on`` and prints every ``podman run`` it
would execute. The platform's services must use the images ``./pants package src/docker::``
builds, with their environment and health checks. The dry run still creates the project's
volumes and network: a unique project name, removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from platform_infrastructure.testing.containers import podman, podman_problem

PROBLEM = podman_problem() or (
    None if shutil.which("podman-compose") else "podman-compose is not installed"
)
pytestmark = pytest.mark.skipif(
    PROBLEM is not None, reason=f"podman cannot run containers here: {PROBLEM}"
)

COMPOSE_FILE = Path("src/compose/docker-compose.yml")
# compose service -> the image of its src/docker target (repository mlops/<target>)
PLATFORM_IMAGES = {
    "mlflow": "mlops/mlflow-server:latest",
    "airflow": "mlops/airflow-worker:latest",
    "fraud-detection-api": "mlops/fraud-detection-api:latest",
    "customer-churn-api": "mlops/customer-churn-api:latest",
}


def _remove_project(project: str) -> None:
    label = f"label=io.podman.compose.project={project}"
    for kind in ("volume", "network"):
        names = podman(kind, "ls", "-q", "--filter", label, check=False).stdout.split()
        if names:
            podman(kind, "rm", *names, check=False)


def test_compose_stack_resolves_with_the_platform_images() -> None:
    project = f"mlops-test-compose-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_SERVICE_API_KEY"}
    try:
        proc = subprocess.run(
            ["podman-compose", "-p", project, "-f", str(COMPOSE_FILE.resolve()),
             "--dry-run", "up", "-d"],
            capture_output=True, text=True, timeout=120, env=env, check=False,
        )  # fmt: skip
    finally:
        _remove_project(project)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    runs = {}
    for line in proc.stdout.splitlines():
        if line.startswith("podman run --name="):
            service = line.split("--name=", 1)[1].split()[0].removeprefix(f"{project}_")
            runs[service.rsplit("_", 1)[0]] = line
    order = list(runs)
    assert set(order) == {"postgres", "redis", "prometheus", "grafana", *PLATFORM_IMAGES}, order

    for service, image in PLATFORM_IMAGES.items():
        assert f" {image}" in runs[service], runs[service][-300:]
    # depends_on: the databases first, MLflow before its clients, the APIs before Prometheus.
    assert order.index("postgres") < order.index("mlflow") < order.index("airflow")
    for api in ("fraud-detection-api", "customer-churn-api"):
        assert order.index("redis") < order.index(api) < order.index("prometheus")
        assert order.index("mlflow") < order.index(api)
        line = runs[api]
        assert "-e MLOPS_SERVICE_API_KEY=local-dev-key" in line  # ${VAR:-default}
        assert "-e MLOPS_REDIS_URL=redis://redis:6379/0" in line
        assert "-e MLOPS_MLFLOW_TRACKING_URI=http://mlflow:5000" in line
        assert "--healthcheck-command" in line and "/health/ready" in line
    assert "-e MLFLOW_BACKEND_STORE_URI=postgresql+psycopg://" in runs["mlflow"]
    assert f"-v {project}_mlflow-artifacts:/var/lib/mlflow/artifacts" in runs["mlflow"]
