"""Shared test fixtures: a tiny Feast repo and an isolated MLOPS_HOME per test module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_common.settings import PlatformSettings

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("FEAST_USAGE", "False")


@pytest.fixture(scope="module")
def mlops_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh MLOPS_HOME holding the fixture feature repo and label tables."""
    from ml_model_development.testing.fixture_feature_repo import build_fixture_repo

    home = tmp_path_factory.mktemp("mlops_home")
    build_fixture_repo(home)
    return home


@pytest.fixture(scope="module")
def platform(mlops_home: Path) -> PlatformSettings:
    """Embedded profile: SQLite MLflow and file artifacts under the temp MLOPS_HOME."""
    return PlatformSettings(home=mlops_home, mlflow_tracking_uri=None)


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read a developer's TRAINING_* / MLOPS_* settings or tracking URI."""
    for key in list(os.environ):
        if key.startswith(("TRAINING_", "MLOPS_")) or key == "MLFLOW_TRACKING_URI":
            monkeypatch.delenv(key)
