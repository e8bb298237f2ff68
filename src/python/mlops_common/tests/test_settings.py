from pathlib import Path

import pytest
from pydantic import ValidationError

from mlops_common.settings import PlatformSettings, Profile


def test_profile_and_nested_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLOPS_PROFILE", "servers")
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "state"))
    settings = PlatformSettings()
    assert settings.profile is Profile.SERVERS
    assert settings.resolved_mlflow_tracking_uri() == "http://127.0.0.1:5000"
    monkeypatch.setenv("MLOPS_PROFILE", "embedded")
    assert PlatformSettings().resolved_mlflow_tracking_uri().endswith("state/mlflow/mlflow.db")


def test_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("MLOPS_MLFLOW_TRACKING_URI=http://mlflow:5000\n")
    assert PlatformSettings().resolved_mlflow_tracking_uri() == "http://mlflow:5000"


def test_invalid_profile_fails_fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLOPS_PROFILE", "cloud")
    with pytest.raises(ValidationError, match="embedded"):
        PlatformSettings()
