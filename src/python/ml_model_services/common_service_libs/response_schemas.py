"""Response bodies every model API shares, so fraud, churn and the next model answer alike.

A model's schema module subclasses :class:`PredictionBase` only to add the request fields it
echoes (``transaction_id``…) and to describe its own label set.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# The one batch limit is the setting MLOPS_SERVICE_MAX_BATCH (a 413 with the limit in its
# reason), not a schema bound: two limits answered the same mistake with 422 or 413.
BATCH_ITEMS_DESCRIPTION = (
    "At most MLOPS_SERVICE_MAX_BATCH items (default 256); a larger batch is refused with 413"
    " `batch_too_large`."
)
USER_ID_MAX = 2**62


class PredictionBase(BaseModel):
    user_id: int
    probability: float = Field(description="Positive-class probability from ONNX Runtime.")
    label: str = Field(description="Label Engine decision.")
    fired_rules: list[str]
    rules_version: str
    degraded: bool = Field(description="True when defaults replaced missing online features.")
    missing_features: list[str]
    entity_known: bool | None = Field(
        default=None,
        description=(
            "False when the feature store answered but has no profile for this entity (an"
            " unknown card holder/customer: the score is the defaults'); null when the store"
            " could not be read, so whether the entity is known is itself unknown."
        ),
    )
    features: dict[str, float | int | str] = Field(description="The model inputs used.")
    decision_time: str = Field(
        description="ISO 8601 UTC time the window features end at (the request's"
        " event_timestamp, else when it arrived)."
    )
    model_version: str = Field(description="Version of the model whose decision this is.")
    decided_by: Literal["champion", "challenger"] = Field(
        default="champion",
        description=(
            "Which model decided: `challenger` only for canary entities"
            " (MLOPS_SERVICE_CANARY_SHARE); the champion otherwise, or when the challenger"
            " failed on this request."
        ),
    )


class ModelSummary(BaseModel):
    name: str
    version: str
    alias: str
