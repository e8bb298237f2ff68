"""``feast plan`` in the feature repo, as CI runs it, on both profiles.

The folder ``feature_repo/`` is a Feast repository (``feast_repo.py``, ``.feastignore``). A
registry the platform applied (``feature-store-cli apply``'s code path) must plan as *no
change* with the real ``feast`` CLI, and so must one ``feast apply`` wrote: any difference
between the two paths, or an object that does not round-trip (a UDF serialized differently, a
source path that moves) fails here. A deliberate change (an edited description, a removed
service) must show up in the plan. Servers run against the local PostgreSQL (a database of
this session) and Redis (a project of this test, keys deleted after).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from feast.repo_operations import get_repo_files
from feast.types import Int64, String

from feature_store_management import feature_repo
from feature_store_management.feature_repo.feature_views import contract_fields
from feature_store_management.feature_repo.render import render_repo
from feature_store_management.feature_repo.store import apply
from feature_store_management.feature_tables import TIMESTAMP_FIELD, write_feature_table
from feature_store_management.settings import FeatureStoreSettings
from feature_store_management.tests.support import REDIS_URL, SettingsFactory, drop_redis_project
from mlops_common.contracts.features import CHURN
from mlops_common.settings import PlatformSettings, Profile

REPO_DIR = Path(feature_repo.__file__).resolve().parent
VIEWS = ("user_transaction_aggregates", "user_profile", "user_activity")
CHANGE_LINE = re.compile(r"^(Created|Updated|Deleted) (.+)$", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_feast_reads_only_the_module_level_definitions() -> None:
    # Any other module imported as a top-level module would define every object twice.
    assert get_repo_files(REPO_DIR) == [REPO_DIR / "feast_repo.py"]


@pytest.fixture(params=[Profile.EMBEDDED, Profile.SERVERS], ids=lambda p: p.value)
def settings(
    request: pytest.FixtureRequest, make_settings: SettingsFactory, tmp_path: Path
) -> Iterator[FeatureStoreSettings]:
    profile: Profile = request.param
    stores: dict[str, Any] = {}  # pydantic validates each field
    if profile == Profile.SERVERS:  # a database of this session, a project of this test
        stores = {"postgres_dsn": request.getfixturevalue("pg_database"), "redis_url": REDIS_URL}
    platform = PlatformSettings(profile=profile, home=tmp_path / "home", **stores)
    made = make_settings(profile, platform=platform)
    for name in VIEWS:  # the file store validates that each source's parquet exists
        write_feature_table(made, name, tiny_table(name))
    render_repo(made)
    try:
        yield made
    finally:
        if profile == Profile.SERVERS:
            drop_redis_project(REDIS_URL, made.project)


def tiny_table(view: str) -> pd.DataFrame:
    """Two rows with every contract column of ``view`` (the plan reads schemas, not data)."""
    now = pd.Timestamp.now(tz="UTC").floor("s")
    frame = pd.DataFrame({"user_id": [1, 2], TIMESTAMP_FIELD: [now, now]})
    for field in contract_fields(view):
        values: list[object] = (
            ["a", "b"] if field.dtype == String else [1, 2] if field.dtype == Int64 else [0.5, 1.5]
        )
        frame[field.name] = values
    return frame


def feast(settings: FeatureStoreSettings, repo: Path, *args: str) -> str:
    """Run the real ``feast`` CLI in ``repo`` with the settings as environment variables."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "FEAST_USAGE": "False",
        "MLOPS_PROFILE": settings.profile.value,
        "MLOPS_HOME": str(settings.home),
        "MLOPS_POSTGRES_DSN": settings.platform.postgres_dsn,
        "MLOPS_REDIS_URL": settings.platform.redis_url,
        "FEATURES_PROJECT": settings.project,
        "FEATURES_FEATURE_SCHEMA": settings.feature_schema,
    }
    config = settings.repo_dir / "feature_store.yaml"
    command = [sys.executable, "-m", "feast.cli.cli", "-c", str(repo), "-f", str(config), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"feast {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return ANSI.sub("", done.stdout)


def changes(plan_output: str) -> list[str]:
    """The plan's change lines (``Created feature view x``...); empty means no change."""
    return [" ".join(m) for m in CHANGE_LINE.findall(plan_output)]


def test_plan_is_empty_after_apply_and_shows_a_deliberate_change(
    settings: FeatureStoreSettings, tmp_path: Path
) -> None:
    # One sequence per profile: each `feast` run costs a Feast start-up (5-30 s on 2 cores).
    apply(settings)  # what `feature-store-cli apply` registers
    planned = feast(settings, REPO_DIR, "plan")
    # Nothing created, updated or deleted: `feast_repo.py` holds exactly what the platform
    # applies, and every object (the on-demand UDF included) round-trips unchanged.
    assert changes(planned) == [], planned
    assert "No changes to registry" in planned and "No changes to infrastructure" in planned

    edited = tmp_path / "edited_repo"
    edited.mkdir()
    shutil.copy(REPO_DIR / "feast_repo.py", edited / "feast_repo.py")
    with (edited / "feast_repo.py").open("a") as module:
        module.write('\nuser_activity_view.description = "changed on purpose"\n')
        module.write(f"del customer_churn_v1  # {CHURN.feature_service} removed\n")
    assert sorted(changes(feast(settings, edited, "plan"))) == [
        f"Deleted feature service {CHURN.feature_service}",
        "Updated feature view user_activity",
    ]

    applied = feast(settings, REPO_DIR, "apply")  # the plan changed nothing; apply works
    assert f"Applying changes for project {settings.project}" in applied, applied
