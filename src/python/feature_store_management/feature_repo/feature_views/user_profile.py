"""Cleaned demographics and plan per user (Python ETL), stamped at signup."""

from __future__ import annotations

from datetime import timedelta

from feast import FeatureView

from feature_store_management.feature_repo.feature_views import stored_view
from feature_store_management.settings import FeatureStoreSettings

NAME = "user_profile"


def build(settings: FeatureStoreSettings) -> FeatureView:
    # ttl 0 = never expires: a profile written at signup stays valid until replaced.
    return stored_view(settings, NAME, timedelta(0), "Age, home country, plan, fee, tenure.")
