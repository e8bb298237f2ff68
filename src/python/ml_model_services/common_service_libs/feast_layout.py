"""Feast's online-store layout (0.67, ``entity_key_serialization_version: 3``), without the SDK.

The Feast SDK is far too heavy for the serving image (pandas, pyarrow, SQLAlchemy...) and adds
milliseconds per lookup, so the readers write and read the bytes ``feast materialize`` stores:

* **entity key**: ``<u32 n_keys>`` then per join key ``<u32 STRING=2><u32 len><utf-8 name>``
  then per value ``<u32 type><u32 len><bytes>`` (INT64 = 4 as ``<q``, STRING = 2 as utf-8),
  all little-endian.
* **Redis field** of a feature: ``mmh3_32("view:feature")`` as 4 little-endian bytes.
* **values**: serialized ``feast.types.Value`` protobufs, parsed with the message class built
  from Feast's own schema (:mod:`.feast_value_proto`); :func:`decode_value` returns the few
  scalar kinds the contracts use.

``test_online_features_golden`` proves the readers built on this return exactly what
``FeatureStore.get_online_features`` returns for the same store.
"""

from __future__ import annotations

import struct
from typing import Any

import mmh3

from ml_model_services.common_service_libs.feast_value_proto import Value
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.transaction_windows import WINDOW_VIEW

# feast.types.ValueType
_STRING, _INT64 = 2, 4


def serialize_entity_key(join_key: str, value: int | str) -> bytes:
    """Feast's ``serialize_entity_key`` (version 3) for a single join key."""
    name = join_key.encode("utf-8")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"unsupported entity value type {type(value).__name__}")
    if isinstance(value, int):
        val, vtype = struct.pack("<q", value), _INT64
    else:
        val, vtype = value.encode("utf-8"), _STRING
    return b"".join(
        (
            struct.pack("<III", 1, _STRING, len(name)),
            name,
            struct.pack("<II", vtype, len(val)),
            val,
        )
    )


def redis_field(view: str, feature: str) -> bytes:
    """Feast's ``_mmh3("view:feature")``: murmur3 32-bit, unsigned, 4 bytes little-endian."""
    return struct.pack("<I", mmh3.hash(f"{view}:{feature}", signed=False))


# The scalar kinds of ``Value.val`` the contracts use; lists, sets and maps are refused.
_SCALARS = frozenset(
    (
        "int64_val",
        "double_val",
        "string_val",
        "int32_val",
        "float_val",
        "bool_val",
        "unix_timestamp_val",
        "bytes_val",
    )
)
_parse_value = Value.FromString


def decode_value(raw: bytes | None) -> Any:
    """Decode a serialized ``feast.types.Value`` holding a scalar (None when unset/null).

    With the generated class (:mod:`.feast_value_proto`) rather than a hand-written varint
    decoder. Measured per request (one entity, the fraud contract's 3 stored features — the
    window features are computed, not decoded —, protobuf 6.33.6 upb, best of 15 x 20k calls):
    hand decoder 1.38-1.44 µs, this 1.93-1.95 µs, +0.5 µs, within the 5 µs budget, for a
    decoder that follows Feast's schema instead of re-implementing the wire format.
    """
    if not raw:
        return None
    value = _parse_value(raw)
    kind = value.WhichOneof("val")
    if kind is None or kind == "null_val":
        return None
    if kind not in _SCALARS:
        raise ValueError(f"unsupported feast Value field {kind!r}")
    return getattr(value, kind)


class FeatureLayout:
    """Which stored features a model reads, grouped by feature view, in contract order.

    Features of the windowed view (``user_transaction_aggregates``) are not read from Feast's
    online store but computed at request time from the recent payments (``windowed``).
    """

    def __init__(self, contract: ModelContract) -> None:
        self.join_key = contract.entity_join_key
        stored = [(f.source, f.name) for f in contract.stored_features]
        self.windowed = any(view == WINDOW_VIEW for view, _ in stored)
        self.features = [(v, n) for v, n in stored if v != WINDOW_VIEW]
        self.views: dict[str, list[str]] = {}
        for view, name in self.features:
            self.views.setdefault(view, []).append(name)
