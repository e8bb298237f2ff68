"""On-demand features of the fraud model, computed from the request and stored features.

The UDF is marked as defined in ``__main__`` so Feast's dill serializes it *by value*: the
registry then carries the code, and consumers (training, serving) can run it without
importing this package from another resolve.
"""

from __future__ import annotations

import inspect

import pandas as pd
from feast import FeatureView, Field, OnDemandFeatureView

from feature_store_management.feature_repo.data_sources import transaction_request
from feature_store_management.feature_repo.feast_types import feast_type
from mlops_common.contracts.features import FRAUD

NAME = "fraud_on_demand_features"


def fraud_request_features(inputs: pd.DataFrame) -> pd.DataFrame:
    """amount / 7-day average amount (1.0 without history) and foreign-country flag."""
    import pandas as pd

    avg = inputs["txn_amount_avg_7d"].astype("float64")
    amount = inputs["amount"].astype("float64")
    ratio = (amount / avg).where(avg > 0, 1.0).fillna(1.0)
    home = inputs["home_country"].fillna("unknown").astype(str)
    country = inputs["country"].fillna("unknown").astype(str)
    foreign = ((home != "unknown") & (country != home)).astype("int64")
    return pd.DataFrame({"amount_to_avg_7d_ratio": ratio, "is_foreign": foreign})


UDF_SOURCE = inspect.getsource(fraud_request_features)
fraud_request_features.__module__ = "__main__"


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
        udf=fraud_request_features,
        udf_string=UDF_SOURCE,
    )
