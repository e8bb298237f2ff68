"""The Feast repository serves exactly what the model contracts say, on both profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from feast import FeatureService, RequestSource
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import load_repo_config

from feature_store_management.feature_repo.definitions import build_objects
from feature_store_management.feature_repo.render import (
    redis_connection_string,
    render_config,
    render_repo,
)
from feature_store_management.tests.support import SettingsFactory
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.feast_secrets import POSTGRES_PASSWORD_VAR, REDIS_PASSWORD_VAR
from mlops_common.settings import PlatformSettings, Profile


@pytest.mark.parametrize("profile", [Profile.EMBEDDED, Profile.SERVERS])
def test_feature_services_match_contracts(make_settings: SettingsFactory, profile: Profile) -> None:
    objects = build_objects(make_settings(profile))
    services = {o.name: o for o in objects if isinstance(o, FeatureService)}
    assert set(services) == {FRAUD.feature_service, CHURN.feature_service}
    for contract in (FRAUD, CHURN):
        served = {
            (p.name, f.name)
            for p in services[contract.feature_service].feature_view_projections
            for f in p.features
        }
        expected = {
            (s.source if s.is_stored else "fraud_on_demand_features", s.name)
            for s in contract.features
            if s.source != "request"
        }
        assert served == expected
    odfv = next(o for o in objects if isinstance(o, OnDemandFeatureView))
    request = next(iter(odfv.source_request_sources.values()))
    assert isinstance(request, RequestSource)
    assert [f.name for f in request.schema] == [
        s.name for s in FRAUD.features if s.source == "request"
    ]


def test_rendered_configs_per_profile(make_settings: SettingsFactory) -> None:
    embedded = yaml.safe_load(render_config(make_settings(Profile.EMBEDDED)))
    assert embedded["online_store"]["type"] == "sqlite"
    assert embedded["offline_store"]["type"] == "file"
    assert embedded["registry"].endswith("registry.db")
    servers = yaml.safe_load(render_config(make_settings(Profile.SERVERS)))
    assert servers["online_store"]["type"] == "redis"
    assert ",db=" in servers["online_store"]["connection_string"]
    assert servers["offline_store"]["type"] == "postgres"
    assert servers["offline_store"]["sslmode"] == "disable"
    assert servers["registry"]["registry_type"] == "sql"
    assert servers["registry"]["path"].startswith("postgresql+psycopg://")


def test_redis_url_becomes_feast_connection_string() -> None:
    assert (
        redis_connection_string("redis://:s3cret@cache:6380/2")
        == "cache:6380,db=2,password=${MLOPS_FEAST_REDIS_PASSWORD}"
    )
    assert redis_connection_string("redis://127.0.0.1:6379") == "127.0.0.1:6379,db=0"


def test_passwords_are_environment_references_that_feast_expands(
    make_settings: SettingsFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = PlatformSettings(
        profile=Profile.SERVERS,
        home=tmp_path / "home",
        postgres_dsn="postgresql://feast:pg%40s3cret@db.internal:5433/features",
        redis_url="redis://:r3dis-s3cret@cache:6380/1",
    )
    settings = make_settings(Profile.SERVERS, platform=platform)
    repo = render_repo(settings)
    text = (repo / "feature_store.yaml").read_text()
    assert "s3cret" not in text
    assert "${MLOPS_FEAST_POSTGRES_PASSWORD}" in text and "${MLOPS_FEAST_REDIS_PASSWORD}" in text

    monkeypatch.setenv(POSTGRES_PASSWORD_VAR, "pg@s3cret")
    monkeypatch.setenv(REDIS_PASSWORD_VAR, "r3dis-s3cret")
    config = load_repo_config(repo, repo / "feature_store.yaml")  # as Feast loads it
    assert config.offline_store.password == "pg@s3cret"
    assert config.offline_store.host == "db.internal" and config.offline_store.port == 5433
    registry = config.registry
    assert registry.path == "postgresql+psycopg://feast@db.internal:5433/features"
    assert registry.sqlalchemy_config_kwargs["connect_args"] == {"password": "pg@s3cret"}
    assert config.online_store.connection_string == "cache:6380,db=1,password=r3dis-s3cret"


def test_urls_without_password_render_no_reference(make_settings: SettingsFactory) -> None:
    text = render_config(make_settings(Profile.SERVERS))  # the test DSNs carry no password
    settings_lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert not [line for line in settings_lines if "${" in line or "connect_args" in line]
    assert '  password: ""' in settings_lines  # offline store: no password
