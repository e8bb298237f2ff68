"""Fraud Model Service Layer: online features → request-time features → ONNX → Label Engine.

The request-time features are those of the feature store's on-demand view
``fraud_on_demand_features``, from the same module
(:mod:`mlops_common.contracts.fraud_on_demand`): its per-row form needs no pandas or Feast.
Missing stored inputs behave as in Feast (missing average → ratio 1.0, missing home country
→ not foreign). The golden test checks this against Feast's own on-demand transformation.
"""

from __future__ import annotations

from ml_model_services.common_service_libs.service_app import ServiceDefinition
from ml_model_services.fraud_detection_api.schemas import (
    FraudBatchRequest,
    FraudBatchResponse,
    FraudPrediction,
    FraudScoreRequest,
)
from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.fraud_on_demand import on_demand_row

DEFINITION = ServiceDefinition(
    contract=FRAUD,
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
    derive=on_demand_row,
)
