"""Request and response bodies of the fraud API (strict: unknown fields and NaN/inf refused)."""

from __future__ import annotations

import time
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from ml_model_services.common_service_libs.response_schemas import (
    BATCH_ITEMS_DESCRIPTION,
    USER_ID_MAX,
    ModelSummary,
    PredictionBase,
)
from mlops_common.contracts.transaction_windows import LONGEST_WINDOW_S, RETENTION_S

MAX_CLOCK_SKEW_S = 300
# Recent payments are kept RETENTION_S; a 7-day window ending earlier than this would miss some.
MAX_EVENT_AGE_S = RETENTION_S - LONGEST_WINDOW_S


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, str_max_length=64, validate_default=False
    )


class FraudScoreRequest(_Strict):
    """One card transaction to score."""

    transaction_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$"
    )
    user_id: int = Field(ge=1, le=USER_ID_MAX, strict=True, description="Card holder id.")
    amount: float = Field(ge=0, le=10_000_000, description="Amount in account currency.")
    merchant_category: str = Field(
        min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$", description="MCC group."
    )
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2 of the merchant.")
    hour_of_day: int = Field(ge=0, le=23, strict=True, description="Local hour 0-23.")
    event_timestamp: AwareDatetime | None = Field(
        default=None,
        description=(
            "When the payment happened (ISO 8601 with a UTC offset); default: when the request"
            " arrives. The card holder's window features (counts/sums over 1 h, 24 h, 7 days)"
            " cover the payments strictly before this time. At most 5 minutes in the future and"
            " 1 day in the past (the service keeps 8 days of payments for its 7-day windows;"
            " score older payments with batch scoring)."
        ),
    )

    @field_validator("event_timestamp")
    @classmethod
    def _within_the_served_history(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        now = time.time()
        if value.timestamp() > now + MAX_CLOCK_SKEW_S:
            raise ValueError(
                f"event_timestamp is more than {MAX_CLOCK_SKEW_S // 60} minutes in the future;"
                " send the payment's own time (with its UTC offset) or leave it out"
            )
        if value.timestamp() < now - MAX_EVENT_AGE_S:
            raise ValueError(
                "event_timestamp is more than 1 day old: the service holds only the last"
                f" {RETENTION_S // 86400} days of payments, so its 7-day windows would be"
                " incomplete; score older payments with batch scoring"
            )
        return value

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "transaction_id": "t-1001",
                    "user_id": 42,
                    "amount": 129.5,
                    "merchant_category": "electronics",
                    "country": "DE",
                    "hour_of_day": 23,
                }
            ]
        }
    )


class FraudBatchRequest(_Strict):
    items: list[FraudScoreRequest] = Field(min_length=1, description=BATCH_ITEMS_DESCRIPTION)


class FraudPrediction(PredictionBase):
    transaction_id: str | None
    probability: float = Field(description="Positive-class (fraud) probability from ONNX.")
    label: str = Field(description="Label Engine decision: approve / review / block.")


class FraudBatchResponse(BaseModel):
    model: ModelSummary
    predictions: list[FraudPrediction]
