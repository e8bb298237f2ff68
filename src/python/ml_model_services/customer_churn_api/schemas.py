"""Request and response bodies of the churn API (strict: unknown fields refused)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH_SIZE = 256
USER_ID_MAX = 2**62


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

    items: list[ChurnScoreRequest] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class ChurnPrediction(BaseModel):
    user_id: int
    probability: float = Field(description="Churn probability from ONNX.")
    label: str = Field(description="Label Engine action: no_action / nurture / retention_offer.")
    fired_rules: list[str]
    rules_version: str
    degraded: bool = Field(description="True when defaults replaced missing online features.")
    missing_features: list[str]
    features: dict[str, float | int | str] = Field(description="The model inputs used.")
    model_version: str


class ModelSummary(BaseModel):
    name: str
    version: str
    alias: str


class ChurnBatchResponse(BaseModel):
    model: ModelSummary
    predictions: list[ChurnPrediction]
