from pathlib import Path

import pytest

from ml_model_services.common_service_libs.auth import ApiKeyAuth, AuthConfigError
from ml_model_services.common_service_libs.settings import ServiceSettings
from mlops_common.settings import PlatformSettings, Profile


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("MLOPS_") or key == "AUTH_DISABLED":
            monkeypatch.delenv(key)


def test_keys_from_env_and_secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "keys"
    secret.write_text("# rotated 2026-11\nfile-key\n\n  other-key  \n")
    monkeypatch.setenv("MLOPS_SERVICE_API_KEYS", "a, b,")
    monkeypatch.setenv("MLOPS_SERVICE_API_KEY", "single")
    monkeypatch.setenv("MLOPS_SERVICE_API_KEYS_FILE", str(secret))
    settings = ServiceSettings()
    assert sorted(settings.accepted_api_keys()) == ["a", "b", "file-key", "other-key", "single"]
    auth = ApiKeyAuth(settings.accepted_api_keys())
    assert auth.check("file-key") and auth.check("single") and auth.check("b")
    assert not auth.check("file-key ") and not auth.check("") and not auth.check(None)
    assert not auth.check("A")


def test_no_key_refuses_to_start_unless_explicitly_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AuthConfigError, match="AUTH_DISABLED"):
        ApiKeyAuth(ServiceSettings().accepted_api_keys(), disabled=ServiceSettings().auth_disabled)
    monkeypatch.setenv("AUTH_DISABLED", "true")
    settings = ServiceSettings()
    assert settings.auth_disabled
    assert ApiKeyAuth([], disabled=settings.auth_disabled).check(None)


def test_profile_selects_the_online_store_and_paths(tmp_path: Path) -> None:
    embedded = ServiceSettings(platform=PlatformSettings(home=tmp_path))
    assert embedded.resolved_online_store == "sqlite"
    assert embedded.resolved_sqlite_path == tmp_path / "feature_repo" / "data" / "online_store.db"
    assert embedded.resolved_cache_dir == tmp_path / "serving" / "model_cache"
    servers = ServiceSettings(
        platform=PlatformSettings(home=tmp_path, profile=Profile.SERVERS, redis_url="redis://r:1/2")
    )
    assert (
        servers.resolved_online_store == "redis" and servers.resolved_redis_url == "redis://r:1/2"
    )
    assert (
        ServiceSettings(online_store="sqlite", platform=servers.platform).resolved_online_store
        == "sqlite"
    )
    assert ServiceSettings().feast_project == "mlops"  # the feature store's default project
