"""The acceptance run: site.yml with the dev inventory against this machine, twice.

Creates the MLflow/Feast/Airflow databases and roles in the running PostgreSQL (with a unique
prefix, dropped afterwards), checks Redis, starts Alertmanager and Prometheus with the repository's
alert rules, deploys the fraud service PEX and waits for it; the second run must change nothing.
"""

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_common.ports import free_port
from platform_infrastructure import process_runner
from platform_infrastructure.ansible_runner import REPO_ANSIBLE_DIR, run_playbook
from platform_infrastructure.postgres_admin import drop_prefixed, psql

SITE = REPO_ANSIBLE_DIR / "playbooks" / "site.yml"
GOOD_PEX = Path("src.python.platform_infrastructure.testing") / "fake-model-service.pex"


@pytest.fixture()
def prefix() -> Iterator[str]:
    prefix = f"t8_{uuid.uuid4().hex[:8]}_"
    yield prefix
    drop_prefixed(prefix)


@pytest.fixture()
def mlops_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "mlops"
    yield root
    for name in ("prometheus", "alertmanager", "fraud-detection-api"):
        process_runner.stop(root, name)


def test_site_dev_provisions_this_machine_and_second_run_changes_nothing(
    prefix: str, mlops_root: Path, tmp_path: Path
) -> None:
    prometheus_port, alertmanager_port, service_port = free_port(), free_port(), free_port()
    extra = {
        "mlops_root": str(mlops_root),
        "mlops_db_prefix": prefix,
        "prometheus_port": prometheus_port,
        "alertmanager_port": alertmanager_port,
        "fraud_service_pex": str(GOOD_PEX.resolve()),
        "fraud_service_port": service_port,
        "model_service_python": sys.executable,
    }
    home = tmp_path / "ansible-home"
    first = run_playbook(SITE, home, extra)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    assert first.stats()["localhost"]["changed"] > 10

    databases = set(psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'"))
    assert databases == {
        f"{prefix}{name}" for name in ("mlflow", "feast_offline", "feast_registry", "airflow")
    }
    owners = psql(
        f"SELECT d.datname || '=' || r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
        f"WHERE d.datname = '{prefix}mlflow'"
    )
    assert owners == [f"{prefix}mlflow={prefix}mlflow"]

    # Prometheus runs with the rendered config and scrapes the deployed service.
    status, body = process_runner.http_get(f"http://127.0.0.1:{prometheus_port}/api/v1/targets")
    assert status == 200
    scrape_urls = {t["scrapeUrl"] for t in json.loads(body)["data"]["activeTargets"]}
    assert f"http://127.0.0.1:{service_port}/metrics" in scrape_urls
    # Every rule group of dashboards/alerts is loaded, and alerts go to the dev Alertmanager.
    status, body = process_runner.http_get(f"http://127.0.0.1:{prometheus_port}/api/v1/rules")
    assert status == 200
    groups = {g["name"] for g in json.loads(body)["data"]["groups"]}
    assert groups == {
        "mlops-model-specific",
        "mlops-system-critical",
        "mlops-platform-components",
        "mlops-feature-skew",
    }
    status, body = process_runner.http_get(
        f"http://127.0.0.1:{prometheus_port}/api/v1/alertmanagers"
    )
    assert [a["url"] for a in json.loads(body)["data"]["activeAlertmanagers"]] == [
        f"http://127.0.0.1:{alertmanager_port}/api/v2/alerts"
    ]
    status, _ = process_runner.http_get(f"http://127.0.0.1:{alertmanager_port}/-/ready")
    assert status == 200
    status, _ = process_runner.http_get(f"http://127.0.0.1:{service_port}/health/ready")
    assert status == 200
    # Grafana's dashboards as code are installed where its provisioning points.
    installed = sorted(p.name for p in (mlops_root / "grafana" / "dashboards").glob("*.json"))
    assert installed == sorted(p.name for p in Path("dashboards/grafana/dashboards").glob("*.json"))
    assert len(installed) >= 3, installed
    env_text = (mlops_root / "etc" / "platform.env").read_text()
    assert "MLOPS_REDIS_URL=redis://127.0.0.1:6379/0" in env_text
    assert f"@127.0.0.1:5432/{prefix}feast_offline" in env_text

    second = run_playbook(SITE, home, extra)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr
    assert second.stats()["localhost"]["changed"] == 0, second.stdout[-6000:]
