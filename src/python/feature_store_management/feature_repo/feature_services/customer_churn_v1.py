"""``customer_churn_v1``: what the LightGBM churn model consumes."""

from __future__ import annotations

from feast import FeatureService, FeatureView

from feature_store_management.feature_repo.feature_services import service_for
from mlops_common.contracts.features import CHURN


def build(views: dict[str, FeatureView]) -> FeatureService:
    return service_for(CHURN, views)
