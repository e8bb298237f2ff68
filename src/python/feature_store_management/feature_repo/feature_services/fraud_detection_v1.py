"""``fraud_detection_v1``: what the XGBoost fraud model consumes."""

from __future__ import annotations

from feast import FeatureService, FeatureView, OnDemandFeatureView

from feature_store_management.feature_repo.feature_services import service_for
from mlops_common.contracts.features import FRAUD


def build(views: dict[str, FeatureView], on_demand: OnDemandFeatureView) -> FeatureService:
    return service_for(FRAUD, views, on_demand)
