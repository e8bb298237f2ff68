"""Apply the definitions and materialize features for the configured profile."""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from datetime import UTC, datetime

from feast import FeatureStore
from feast.repo_operations import apply_total_with_repo_instance

from feature_store_management import recent_transactions
from feature_store_management.feature_repo.definitions import build_repo
from feature_store_management.feature_repo.render import render_repo
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.feast_secrets import export_feast_secrets
from mlops_common.progress import Progress

HISTORY_START = datetime(2000, 1, 1, tzinfo=UTC)


def feature_store(settings: FeatureStoreSettings) -> FeatureStore:
    """The store of the rendered repository (rendering it first); the passwords the YAML
    refers to are set in this process's environment from the platform's URLs."""
    export_feast_secrets(settings.platform.postgres_dsn, settings.platform.redis_url)
    return FeatureStore(repo_path=str(render_repo(settings)))


def apply(settings: FeatureStoreSettings) -> FeatureStore:
    """Register every object exactly as ``feast apply`` in the feature repo does (same Feast
    code path: objects no longer defined are deleted, the online tables are recorded as the
    registry's infrastructure), so a ``feast plan`` afterwards shows no change; re-applying
    the same definitions changes nothing. Feast's own report goes to stderr (stdout carries
    the CLI's summary line)."""
    progress = Progress("feast apply")
    store = feature_store(settings)
    repo = build_repo(settings)
    with redirect_stdout(sys.stderr):
        # Sources are not validated here, as before: `feast plan` / `feast apply` do.
        apply_total_with_repo_instance(
            store, settings.project, store.registry, repo.contents(settings.project), True
        )
    progress.finish(f"{len(repo.objects())} objects in project '{settings.project}'")
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
