"""Apply the definitions and materialize features for the configured profile."""

from __future__ import annotations

from datetime import UTC, datetime

from feast import FeatureStore

from feature_store_management import recent_transactions
from feature_store_management.feature_repo.definitions import build_objects
from feature_store_management.feature_repo.render import render_repo
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.progress import Progress

HISTORY_START = datetime(2000, 1, 1, tzinfo=UTC)


def feature_store(settings: FeatureStoreSettings) -> FeatureStore:
    """The store of the rendered repository (rendering it first)."""
    return FeatureStore(repo_path=str(render_repo(settings)))


def apply(settings: FeatureStoreSettings) -> FeatureStore:
    """Register every object; re-applying the same definitions changes nothing."""
    progress = Progress("feast apply")
    store = feature_store(settings)
    objects = build_objects(settings)
    store.apply(objects)
    progress.finish(f"{len(objects)} objects in project '{settings.project}'")
    return store


def materialize_incremental(
    settings: FeatureStoreSettings, end: datetime | None = None
) -> FeatureStore:
    """Load feature rows newer than the last materialization (per view) into the online store.

    Then the card holders' recent payments, from which the APIs compute windows that end at
    the request (:mod:`feature_store_management.recent_transactions`).
    """
    end = end or datetime.now(tz=UTC)
    progress = Progress("feast materialize-incremental")
    store = feature_store(settings)
    # Feast starts a view's first incremental run at now - ttl (one year for ttl 0), which
    # would skip profiles written at signup years ago: the first run covers all history.
    first_time = [v.name for v in store.list_feature_views() if not v.materialization_intervals]
    if first_time:
        store.materialize(start_date=HISTORY_START, end_date=end, feature_views=first_time)
    store.materialize_incremental(end_date=end)
    recent_transactions.refresh(settings, end)
    progress.finish(f"up to {end.isoformat()}")
    return store
