"""Feast entities: the user (card holder / customer) and the merchant."""

from __future__ import annotations

from feast import Entity, ValueType

from mlops_common.contracts.features import (
    MERCHANT_ENTITY,
    MERCHANT_JOIN_KEY,
    USER_ENTITY,
    USER_JOIN_KEY,
)

user = Entity(
    name=USER_ENTITY,
    join_keys=[USER_JOIN_KEY],
    value_type=ValueType.INT64,
    description="Card holder and subscriber; one id across fraud and churn.",
)
merchant = Entity(
    name=MERCHANT_ENTITY,
    join_keys=[MERCHANT_JOIN_KEY],
    value_type=ValueType.INT64,
    description="Merchant receiving a card payment.",
)
