"""Request and response bodies of the churn API (strict: unknown fields refused)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ml_model_services.common_service_libs.response_schemas import (
    BATCH_ITEMS_DESCRIPTION,
    USER_ID_MAX,
    ModelSummary,
    PredictionBase,
)


class ChurnScoreRequest(BaseModel):
    """One customer to score; every model input comes from the online store."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        str_max_length=64,
        json_schema_extra={"examples": [{"user_id": 42}]},
    )

    user_id: int = Field(ge=1, le=USER_ID_MAX, strict=True, description="Customer id.")


class ChurnBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ChurnScoreRequest] = Field(min_length=1, description=BATCH_ITEMS_DESCRIPTION)


class ChurnPrediction(PredictionBase):
    probability: float = Field(description="Churn probability from ONNX.")
    label: str = Field(description="Label Engine action: no_action / nurture / retention_offer.")


class ChurnBatchResponse(BaseModel):
    model: ModelSummary
    predictions: list[ChurnPrediction]
