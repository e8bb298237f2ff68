"""Feature and model contracts for the two use cases: card-fraud and customer churn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DType = Literal["float", "int", "string"]

USER_ENTITY = "user"
USER_JOIN_KEY = "user_id"
MERCHANT_ENTITY = "merchant"
MERCHANT_JOIN_KEY = "merchant_id"


@dataclass(frozen=True)
class FeatureSpec:
    """One model input: where it comes from and what to use when it is missing.

    ``source`` is ``"<feature_view>"`` for features read from the online store,
    ``"request"`` for values sent in the API request, and ``"on_demand"`` for values computed
    at request time from the other two.
    """

    name: str
    dtype: DType
    source: str
    default: float | int | str
    description: str = ""

    @property
    def reference(self) -> str:
        """Feast's ``view:feature`` reference (only for stored features)."""
        return f"{self.source}:{self.name}"

    @property
    def is_stored(self) -> bool:
        return self.source not in ("request", "on_demand")


@dataclass(frozen=True)
class ModelContract:
    """What a model consumes and how it is known in the registry and the feature store."""

    use_case: str
    # The one-word name people type (``mlops train fraud``, ``trainer train churn``).
    short_name: str
    registered_model_name: str
    feature_service: str
    entity_join_key: str
    label: str
    features: tuple[FeatureSpec, ...]
    champion_alias: str = "champion"
    challenger_alias: str = "challenger"
    # The stored view whose rows are the registry of entities (card holders, customers): when
    # the store answers but every feature of this view is missing, the entity is unknown to
    # it. Aggregate views are no such registry (an empty window is a value, not an absence).
    entity_view: str | None = None
    # What identifies one scored event when the entity has many (a card holder's payments):
    # services put its value in the shadow log's ``event_id`` and training joins labels on it.
    # ``None``: one prediction per entity and time (churn); labels join as of the request.
    event_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def stored_features(self) -> list[FeatureSpec]:
        return [f for f in self.features if f.is_stored]

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.features if f.dtype == "string"]

    @property
    def numeric(self) -> list[str]:
        return [f.name for f in self.features if f.dtype != "string"]

    @property
    def entity_view_features(self) -> list[str]:
        """Stored features of :attr:`entity_view` (empty when the contract names none)."""
        return [f.name for f in self.stored_features if f.source == self.entity_view]

    def defaults(self) -> dict[str, float | int | str]:
        return {f.name: f.default for f in self.features}


FRAUD = ModelContract(
    use_case="fraud_detection",
    short_name="fraud",
    registered_model_name="fraud_detection_xgboost",
    feature_service="fraud_detection_v1",
    entity_join_key=USER_JOIN_KEY,
    label="is_fraud",
    entity_view="user_profile",
    event_key="transaction_id",
    features=(
        # Sent with the transaction being scored.
        FeatureSpec("amount", "float", "request", 0.0, "transaction amount in account currency"),
        FeatureSpec("merchant_category", "string", "request", "unknown", "MCC group"),
        FeatureSpec("country", "string", "request", "unknown", "ISO country of the merchant"),
        FeatureSpec("hour_of_day", "int", "request", 12, "local hour 0-23"),
        # Per-user rolling transaction aggregates (Spark / dbt), user_transaction_aggregates.
        FeatureSpec("txn_count_1h", "int", "user_transaction_aggregates", 0),
        FeatureSpec("txn_count_24h", "int", "user_transaction_aggregates", 0),
        FeatureSpec("txn_amount_sum_24h", "float", "user_transaction_aggregates", 0.0),
        FeatureSpec("txn_amount_avg_7d", "float", "user_transaction_aggregates", 50.0),
        FeatureSpec("txn_amount_max_7d", "float", "user_transaction_aggregates", 0.0),
        FeatureSpec("distinct_categories_7d", "int", "user_transaction_aggregates", 1),
        # User profile (Python ETL on customer demographics), user_profile.
        FeatureSpec("account_age_days", "int", "user_profile", 365),
        FeatureSpec("age", "int", "user_profile", 40),
        FeatureSpec("home_country", "string", "user_profile", "unknown"),
        # Computed at request time from the above (Feast on-demand feature view).
        FeatureSpec("amount_to_avg_7d_ratio", "float", "on_demand", 1.0),
        FeatureSpec("is_foreign", "int", "on_demand", 0),
    ),
)

CHURN = ModelContract(
    use_case="customer_churn",
    short_name="churn",
    registered_model_name="customer_churn_lightgbm",
    feature_service="customer_churn_v1",
    entity_join_key=USER_JOIN_KEY,
    label="churned",
    entity_view="user_profile",
    features=(
        FeatureSpec("account_age_days", "int", "user_profile", 365),
        FeatureSpec("age", "int", "user_profile", 40),
        FeatureSpec("plan", "string", "user_profile", "basic"),
        FeatureSpec("monthly_fee", "float", "user_profile", 10.0),
        FeatureSpec("logins_30d", "int", "user_activity", 0),
        FeatureSpec("days_since_last_login", "int", "user_activity", 30),
        FeatureSpec("support_contacts_90d", "int", "user_activity", 0),
        FeatureSpec("spend_30d", "float", "user_activity", 0.0),
        FeatureSpec("txn_count_30d", "int", "user_activity", 0),
    ),
)

MODEL_CONTRACTS: dict[str, ModelContract] = {c.use_case: c for c in (FRAUD, CHURN)}
# Short name → use case, the map every CLI takes its ``fraud|churn`` argument from.
USE_CASE_BY_SHORT_NAME: dict[str, str] = {c.short_name: c.use_case for c in (FRAUD, CHURN)}
