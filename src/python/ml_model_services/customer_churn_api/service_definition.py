"""Churn Model Service Layer: all inputs are stored features of the user (no request-time
features), scored by the LightGBM graph on ONNX Runtime; the Label Engine maps the score
(and e.g. the plan) to a retention action."""

from __future__ import annotations

from ml_model_services.common_service_libs.service_app import ServiceDefinition
from ml_model_services.customer_churn_api.schemas import (
    ChurnBatchRequest,
    ChurnBatchResponse,
    ChurnPrediction,
    ChurnScoreRequest,
)
from mlops_common.contracts.features import CHURN

DEFINITION = ServiceDefinition(
    contract=CHURN,
    description=(
        "Customer-churn scoring: online features from the Feast store, LightGBM on ONNX "
        "Runtime, retention actions by the Label Engine. Send the API key in `x-api-key`."
    ),
    prefix="/v1/churn",
    request_model=ChurnScoreRequest,
    batch_model=ChurnBatchRequest,
    response_model=ChurnPrediction,
    batch_response_model=ChurnBatchResponse,
    echo_fields=("user_id",),
)
