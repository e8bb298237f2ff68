"""The Feast CLI image, run with podman against the machine's PostgreSQL and Redis.

Profile ``servers`` (the image's default): the feature-store CLI renders the servers'
``feature_store.yaml`` (SQL registry and offline store in PostgreSQL, Redis online store) and
``apply`` registers every feature view and service; ``feast`` in the same image then reads
them back through that config. A scratch database and a unique Feast project keep the run
apart from everything else; the database is dropped afterwards.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator

import pytest

from mlops_common.contracts.features import CHURN, FRAUD
from platform_infrastructure.testing.containers import (
    built_image,
    image_config,
    podman_problem,
    run_once,
)
from platform_infrastructure.testing.postgres import dsn, psql, scratch_database

PROBLEM = podman_problem()
pytestmark = pytest.mark.skipif(
    PROBLEM is not None, reason=f"podman cannot run containers here: {PROBLEM}"
)

REDIS_URL = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture()
def scratch_db() -> Iterator[str]:
    with scratch_database("mlops_feast_image") as name:
        yield name


def test_feast_image_applies_and_reads_the_servers_config(scratch_db: str) -> None:
    image = built_image("feast-cli")
    config = image_config(image)
    assert config["User"] == "10001:10001"
    assert config["Size"] < 1_000_000_000, f"{config['Size'] / 1e6:.0f} MB"
    project = f"img{uuid.uuid4().hex[:8]}"
    env = {
        "MLOPS_POSTGRES_DSN": dsn(scratch_db),
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
    # the CLI contract: exactly one JSON result on stdout (progress went to stderr)
    assert json.loads(apply_out)["project"] == project, apply_out
    views = {line.split()[0] for line in views_out.strip().splitlines()[1:]}
    contract_views = {f.source for c in (FRAUD, CHURN) for f in c.stored_features}
    assert contract_views <= views, (contract_views, views)
    services = {line.split()[0] for line in services_out.strip().splitlines()[1:]}
    assert {FRAUD.feature_service, CHURN.feature_service} <= services
    assert "registry_type: sql" in config_out and "type: redis" in config_out
    assert "type: postgres" in config_out and f"database: {scratch_db}" in config_out

    # The registry really lives in the scratch database (the servers' SQL registry).
    stored = psql(scratch_db, f"select count(*) from feature_views where project_id = '{project}'")
    assert int(stored) >= len(contract_views)
