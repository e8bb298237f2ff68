"""Feature services: one per model, versioned, built from the model contracts."""

from __future__ import annotations

from feast import FeatureService, FeatureView, OnDemandFeatureView

from mlops_common.contracts.features import ModelContract


def service_for(
    contract: ModelContract,
    views: dict[str, FeatureView],
    on_demand: OnDemandFeatureView | None = None,
) -> FeatureService:
    """Exactly the contract's stored (and on-demand) features, in contract order per view."""
    projections = []
    for view_name, view in views.items():
        names = [f.name for f in contract.stored_features if f.source == view_name]
        if names:
            projections.append(view[names])
    wanted_on_demand = [f.name for f in contract.features if f.source == "on_demand"]
    if wanted_on_demand:
        if on_demand is None:
            raise ValueError(f"{contract.feature_service} needs an on-demand feature view")
        projections.append(on_demand[wanted_on_demand])
    return FeatureService(
        name=contract.feature_service,
        features=projections,
        description=f"Features of {contract.registered_model_name}.",
        tags={"model": contract.registered_model_name, "use_case": contract.use_case},
    )
