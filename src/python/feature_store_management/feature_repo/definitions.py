"""All Feast objects of the repository for the configured profile."""

from __future__ import annotations

from feast.feast_object import FeastObject

from feature_store_management.feature_repo import entities
from feature_store_management.feature_repo.feature_services import (
    customer_churn_v1,
    fraud_detection_v1,
)
from feature_store_management.feature_repo.feature_views import (
    on_demand,
    user_activity,
    user_profile,
    user_transaction_aggregates,
)
from feature_store_management.settings import FeatureStoreSettings


def build_objects(settings: FeatureStoreSettings) -> list[FeastObject]:
    views = {
        user_transaction_aggregates.NAME: user_transaction_aggregates.build(settings),
        user_profile.NAME: user_profile.build(settings),
        user_activity.NAME: user_activity.build(settings),
    }
    odfv = on_demand.build(views[user_transaction_aggregates.NAME], views[user_profile.NAME])
    return [
        entities.user,
        entities.merchant,
        *views.values(),
        odfv,
        fraud_detection_v1.build(views, odfv),
        customer_churn_v1.build(views),
    ]
