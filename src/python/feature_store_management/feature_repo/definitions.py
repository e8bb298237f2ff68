"""All Feast objects of the repository for given settings.

:func:`build_repo` is the one place the objects are assembled: the package's own ``apply``
(``feature-store-cli apply``) registers ``build_objects(settings)``, and ``feast_repo.py`` holds
the same objects at module level (built from the environment) for ``feast plan`` /
``feast apply``. Both paths therefore register identical objects, which the plan test checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from feast import Entity, FeatureService, FeatureView, OnDemandFeatureView, Project, RequestSource
from feast.data_source import DataSource
from feast.feast_object import FeastObject
from feast.feature_view import DUMMY_ENTITY
from feast.repo_contents import RepoContents

from feature_store_management.feature_repo import entities
from feature_store_management.feature_repo.data_sources import transaction_request
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


@dataclass(frozen=True)
class RepoObjects:
    """The repository's objects by role (views keyed by name)."""

    entities: tuple[Entity, ...]
    views: dict[str, FeatureView]
    on_demand: OnDemandFeatureView
    request_source: RequestSource
    services: dict[str, FeatureService]

    def objects(self) -> list[FeastObject]:
        return [*self.entities, *self.views.values(), self.on_demand, *self.services.values()]

    def contents(self, project: str) -> RepoContents:
        """What ``feast apply`` / ``feast plan`` collect from ``feast_repo.py``: the objects,
        every source they use, the project and Feast's dummy entity (as ``parse_repo``)."""
        sources: list[DataSource] = []
        for view in self.views.values():
            for source in (view.stream_source, view.batch_source):
                if source is not None and not any(source is s for s in sources):
                    sources.append(source)
        sources.append(self.request_source)
        return RepoContents(
            projects=[Project(name=project, description="")],
            data_sources=sources,
            feature_views=list(self.views.values()),
            on_demand_feature_views=[self.on_demand],
            stream_feature_views=[],
            label_views=[],
            entities=[*self.entities, DUMMY_ENTITY],
            feature_services=list(self.services.values()),
            permissions=[],
        )


def build_repo(settings: FeatureStoreSettings) -> RepoObjects:
    views = {
        user_transaction_aggregates.NAME: user_transaction_aggregates.build(settings),
        user_profile.NAME: user_profile.build(settings),
        user_activity.NAME: user_activity.build(settings),
    }
    odfv = on_demand.build(views[user_transaction_aggregates.NAME], views[user_profile.NAME])
    services = [fraud_detection_v1.build(views, odfv), customer_churn_v1.build(views)]
    return RepoObjects(
        entities=(entities.user, entities.merchant),
        views=views,
        on_demand=odfv,
        request_source=transaction_request,
        services={s.name: s for s in services},
    )


def build_objects(settings: FeatureStoreSettings) -> list[FeastObject]:
    """What ``FeatureStore.apply`` registers for ``settings`` (sources come with the views)."""
    return build_repo(settings).objects()
