"""Rolling per-user transaction aggregates, one row per transaction event.

Batch rows come from the Spark job; fresh rows are pushed online by the streaming consumer
through the push source ``user_transaction_aggregates_push``.
"""

from __future__ import annotations

from datetime import timedelta

from feast import FeatureView

from feature_store_management.feature_repo.feature_views import stored_view
from feature_store_management.settings import FeatureStoreSettings

NAME = "user_transaction_aggregates"
PUSH_SOURCE = f"{NAME}_push"


def build(settings: FeatureStoreSettings) -> FeatureView:
    # Aggregates older than their widest window (7 days) describe no current behaviour.
    return stored_view(
        settings, NAME, timedelta(days=7), "Counts/sums/avg over 1h, 24h, 7d per user.", push=True
    )
