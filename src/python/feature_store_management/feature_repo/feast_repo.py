"""The Feast repository as ``feast plan`` / ``feast apply`` read it: every object at module level.

Feast imports each ``*.py`` of this folder that ``.feastignore`` does not exclude (only this
file) and collects the Entity, DataSource, FeatureView, OnDemandFeatureView and
FeatureService objects it finds as module attributes. They are built by
:func:`~feature_store_management.feature_repo.definitions.build_repo` from the environment
(``MLOPS_PROFILE``, ``MLOPS_HOME``, ``MLOPS_POSTGRES_DSN``, ``FEATURES_*``: the settings
classes every command reads), so the batch sources match the profile of the
``feature_store.yaml`` rendered in the same environment (``feature-store-cli render``).

Run (README of the component): ``feast -c src/python/feature_store_management/feature_repo
-f "$MLOPS_HOME/feature_repo/feature_store.yaml" plan``.
"""

from __future__ import annotations

from pydantic import ValidationError

from feature_store_management.feature_repo.definitions import build_repo
from feature_store_management.feature_repo.feature_views import (
    user_activity,
    user_profile,
    user_transaction_aggregates,
)
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.contracts.features import CHURN, FRAUD

try:
    _SETTINGS = FeatureStoreSettings()
except ValidationError as exc:  # one line that names the variable, not a traceback
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    raise SystemExit(
        f"feature repo: invalid settings ({problems}); fix the MLOPS_*/FEATURES_* variable named"
    ) from None

_REPO = build_repo(_SETTINGS)

# Entities
user, merchant = _REPO.entities
# Request source of the fraud API (the batch and push sources come with their views)
transaction_request = _REPO.request_source
# Feature views
user_transaction_aggregates_view = _REPO.views[user_transaction_aggregates.NAME]
user_profile_view = _REPO.views[user_profile.NAME]
user_activity_view = _REPO.views[user_activity.NAME]
# On-demand feature view
fraud_on_demand_features = _REPO.on_demand
# Feature services (one per model, names from mlops_common.contracts)
fraud_detection_v1 = _REPO.services[FRAUD.feature_service]
customer_churn_v1 = _REPO.services[CHURN.feature_service]
