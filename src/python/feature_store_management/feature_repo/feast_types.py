"""Mapping of contract dtypes to Feast types (64-bit so values round-trip unchanged)."""

from __future__ import annotations

from feast.types import Float64, Int64, PrimitiveFeastType, String

_TYPES: dict[str, PrimitiveFeastType] = {"float": Float64, "int": Int64, "string": String}


def feast_type(dtype: str) -> PrimitiveFeastType:
    return _TYPES[dtype]
