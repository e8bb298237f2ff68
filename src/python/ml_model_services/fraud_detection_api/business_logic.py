"""Fraud Model Service Layer: online features → request-time features → ONNX → Label Engine.

The request-time features are those of the feature store's on-demand view
``fraud_on_demand_features`` (``feature_store_management/feature_repo/feature_views/
on_demand.py``), computed here the same way so the service needs no pandas or Feast:

* ``amount_to_avg_7d_ratio`` = amount / ``txn_amount_avg_7d`` when that average is > 0, else 1.0
  (also 1.0 when the average is missing);
* ``is_foreign`` = 1 when the user's ``home_country`` is known (not missing, not "unknown")
  and differs from the merchant ``country``, else 0.

Missing stored inputs behave as in Feast (missing average → ratio 1.0, missing home country
→ not foreign). The golden test checks these against Feast's own on-demand transformation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ml_model_services.common_service_libs.service_app import ServiceDefinition
from ml_model_services.fraud_detection_api.schemas import (
    FraudBatchRequest,
    FraudBatchResponse,
    FraudPrediction,
    FraudScoreRequest,
)
from mlops_common.contracts.features import FRAUD


def on_demand_features(request: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """``fraud_on_demand_features`` for one request; ``stored`` may hold ``None``."""
    avg = stored.get("txn_amount_avg_7d")
    amount = float(request["amount"])
    if avg is None or (isinstance(avg, float) and math.isnan(avg)) or not avg > 0:
        ratio = 1.0
    else:
        ratio = amount / float(avg)
    home = stored.get("home_country")
    home = "unknown" if home is None else str(home)
    country = str(request.get("country") or "unknown")
    foreign = int(home != "unknown" and country != home)
    return {"amount_to_avg_7d_ratio": ratio, "is_foreign": foreign}


DEFINITION = ServiceDefinition(
    contract=FRAUD,
    title="fraud-detection-api",
    description=(
        "Card-fraud scoring: online features from the Feast store, XGBoost on ONNX Runtime, "
        "decisions by the Label Engine (approve/review/block). Send the API key in `x-api-key`."
    ),
    prefix="/v1/fraud",
    request_model=FraudScoreRequest,
    batch_model=FraudBatchRequest,
    response_model=FraudPrediction,
    batch_response_model=FraudBatchResponse,
    echo_fields=("transaction_id", "user_id"),
    derive=on_demand_features,
)
