"""The Feast CLI image, run with podman against the machine's PostgreSQL and Redis.

Profile ``servers`` (the image's default): the feature-store CLI renders the servers'
``feature_store.yaml`` (SQL registry and offline store in PostgreSQL, Redis online store) and
``apply`` registers every feature view and service; ``feast`` in the same image then reads
them back through that config. A scratch database and a unique Feast project keep the run
apart from everything else; the database is dropped afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from mlops_common.contracts.features import CHURN, FRAUD
from platform_infrastructure.testing.containers import (
    built_image,
    image_config,
    podman_problem,
    run_once,
)

PROBLEM = podman_problem()
pytestmark = pytest.mark.skipif(
    PROBLEM is not None, reason=f"podman cannot run containers here: {PROBLEM}"
)

ADMIN_DSN = os.environ.get("MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _dsn(database: str) -> str:
    parts = urlsplit(ADMIN_DSN)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _psql(database: str, sql: str) -> str:
    out = subprocess.run(
        ["psql", _dsn(database), "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture()
def scratch_database() -> Iterator[str]:
    name = f"mlops_feast_image_{uuid.uuid4().hex[:8]}"
    _psql("postgres", f'create database "{name}"')
    try:
        yield name
    finally:
        _psql("postgres", f'drop database if exists "{name}" with (force)')


def test_feast_image_applies_and_reads_the_servers_config(scratch_database: str) -> None:
    image = built_image("feast-cli")
    config = image_config(image)
    assert config["User"] == "10001:10001"
    assert config["Size"] < 1_000_000_000, f"{config['Size'] / 1e6:.0f} MB"
    project = f"img{uuid.uuid4().hex[:8]}"
    env = {
        "MLOPS_POSTGRES_DSN": _dsn(scratch_database),
        "MLOPS_REDIS_URL": REDIS_URL,
        "FEATURES_PROJECT": project,
    }
    script = (
        "set -e; feast version; echo '### apply'; /opt/feast/pex apply;"
        ' echo "### views"; feast -c "$MLOPS_HOME/feature_repo" feature-views list;'
        ' echo "### services"; feast -c "$MLOPS_HOME/feature_repo" feature-services list;'
        ' echo "### config"; feast -c "$MLOPS_HOME/feature_repo" configuration'
    )
    ran = run_once(image, "-c", script, env=env, entrypoint="/bin/sh", timeout=300)
    out = ANSI.sub("", ran.stdout)
    assert ran.returncode == 0, out[-3000:] + ran.stderr[-3000:]
    assert re.search(r'Feast SDK Version: "0\.\d+\.\d+"', out), out[:500]

    _, apply_out, views_out, services_out, config_out = re.split(r"^### \w+$", out, flags=re.M)
    assert f"project={project}" in apply_out
    views = {line.split()[0] for line in views_out.strip().splitlines()[1:]}
    contract_views = {f.source for c in (FRAUD, CHURN) for f in c.stored_features}
    assert contract_views <= views, (contract_views, views)
    services = {line.split()[0] for line in services_out.strip().splitlines()[1:]}
    assert {FRAUD.feature_service, CHURN.feature_service} <= services
    assert "registry_type: sql" in config_out and "type: redis" in config_out
    assert "type: postgres" in config_out and f"database: {scratch_database}" in config_out

    # The registry really lives in the scratch database (the servers' SQL registry).
    stored = _psql(
        scratch_database, f"select count(*) from feature_views where project_id = '{project}'"
    )
    assert int(stored) >= len(contract_views)
