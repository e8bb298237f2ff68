"""Feature views: one per feature table, schemas taken from the model contracts."""

from __future__ import annotations

from datetime import timedelta

from feast import FeatureView, Field, PushSource

from feature_store_management.feature_repo.data_sources import batch_source
from feature_store_management.feature_repo.entities import user
from feature_store_management.feature_repo.feast_types import feast_type
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.contracts.features import MODEL_CONTRACTS


def contract_fields(view: str) -> list[Field]:
    """Every contract feature stored in ``view`` (deduplicated across models, in order)."""
    seen: dict[str, Field] = {}
    for contract in MODEL_CONTRACTS.values():
        for spec in contract.features:
            if spec.source == view and spec.name not in seen:
                seen[spec.name] = Field(name=spec.name, dtype=feast_type(spec.dtype))
    return list(seen.values())


def stored_view(
    settings: FeatureStoreSettings,
    name: str,
    ttl: timedelta,
    description: str,
    push: bool = False,
) -> FeatureView:
    """A view over the feature table ``name``; ``push`` adds a push source named
    ``<name>_push`` (same batch source) so streaming consumers can write fresh rows online."""
    source = batch_source(settings, name)
    if push:
        source = PushSource(name=f"{name}_push", batch_source=source)
    return FeatureView(
        name=name,
        entities=[user],
        ttl=ttl,
        schema=contract_fields(name),
        source=source,
        online=True,
        description=description,
    )
