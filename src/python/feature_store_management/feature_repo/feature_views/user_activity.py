"""Engagement snapshot per user (logins, support contacts, recent spend) for churn."""

from __future__ import annotations

from datetime import timedelta

from feast import FeatureView

from feature_store_management.feature_repo.feature_views import stored_view
from feature_store_management.settings import FeatureStoreSettings

NAME = "user_activity"


def build(settings: FeatureStoreSettings) -> FeatureView:
    return stored_view(settings, NAME, timedelta(days=90), "30/90-day engagement snapshot.")
