"""The Feast repository serves exactly what the model contracts say, on both profiles."""

from __future__ import annotations

import pytest
import yaml
from feast import FeatureService, RequestSource
from feast.on_demand_feature_view import OnDemandFeatureView

from feature_store_management.feature_repo.definitions import build_objects
from feature_store_management.feature_repo.render import redis_connection_string, render_config
from feature_store_management.tests.support import SettingsFactory
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.settings import Profile


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
        redis_connection_string("redis://:s3cret@cache:6380/2") == "cache:6380,db=2,password=s3cret"
    )
    assert redis_connection_string("redis://127.0.0.1:6379") == "127.0.0.1:6379,db=0"
