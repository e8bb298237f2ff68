"""On-demand features of the fraud model, computed from the request and stored features.

The function is :func:`mlops_common.contracts.fraud_on_demand.fraud_request_features`, the
one definition the API (per row) and the trainers' test repo also run. The UDF is marked as
defined in ``__main__`` so Feast's dill serializes it *by value*: the registry then carries
the code, and consumers (training, serving) can run it without importing this package from
another resolve.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import FunctionType
from typing import Any

from feast import FeatureView, Field, OnDemandFeatureView

from feature_store_management.feature_repo.data_sources import transaction_request
from feature_store_management.feature_repo.feast_types import feast_type
from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.fraud_on_demand import fraud_request_features

NAME = "fraud_on_demand_features"


UDF_SOURCE = inspect.getsource(fraud_request_features)
fraud_request_features.__module__ = "__main__"


def _plain_function(fn: Callable[..., Any]) -> FunctionType:
    """Feast takes a plain function (which dill ships by value), not any callable."""
    if not isinstance(fn, FunctionType):
        raise TypeError(f"{fn!r} must be a plain function for Feast's on-demand view")
    return fn


_UDF = _plain_function(fraud_request_features)


def build(aggregates: FeatureView, profile: FeatureView) -> OnDemandFeatureView:
    schema = [
        Field(name=f.name, dtype=feast_type(f.dtype))
        for f in FRAUD.features
        if f.source == "on_demand"
    ]
    return OnDemandFeatureView(
        name=NAME,
        sources=[
            aggregates[["txn_amount_avg_7d"]],
            profile[["home_country"]],
            transaction_request,
        ],
        schema=schema,
        mode="pandas",
        description="Request-time fraud features.",
        udf=_UDF,
        udf_string=UDF_SOURCE,
    )
