"""What the rules know about the *read* behind a score: degraded, missing, unknown entity.

A model scored on defaults looks like a confident answer about a long-standing customer, so
the score alone cannot tell the rules that the data was not there. The online services and
batch scoring both call :func:`read_context` on the stored features they read and merge the
result into the rule attributes, so one definition decides online and offline alike:

* ``degraded`` (bool): at least one stored feature was missing (defaults were used) or the
  store could not be read at all;
* ``missing_features`` (list of names, contract order) and ``missing_count`` (int);
* ``entity_known`` (bool or ``None``): ``False`` when the store answered but every feature of
  the contract's :attr:`~mlops_common.contracts.features.ModelContract.entity_view` (the
  profile, the registry of card holders) is missing; ``None`` when the store was not read
  (down, circuit open, no store): the entity's status is then unknown too, and rules on
  ``entity_known`` do not fire — the ``degraded`` rules are the ones that catch it.

Pure Python (no pandas), so the serving resolve stays light.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlops_common.contracts.features import ModelContract

CONTEXT_ATTRIBUTES = ("degraded", "missing_features", "missing_count", "entity_known")


def is_missing(value: Any) -> bool:
    """``None`` or a float NaN: what a store, a Feast join or a null cell gives for "no value"."""
    return value is None or (isinstance(value, float) and math.isnan(value))


class ContextReader:
    """:func:`read_context` for one contract, its feature lists computed once (hot path)."""

    def __init__(self, contract: ModelContract) -> None:
        self.names = [f.name for f in contract.stored_features]
        self.profile = contract.entity_view_features

    def __call__(self, stored: Mapping[str, Any] | None) -> dict[str, Any]:
        names = self.names
        if stored is None:
            return {
                "degraded": bool(names),
                "missing_features": list(names),
                "missing_count": len(names),
                "entity_known": None,
            }
        missing = [n for n in names if is_missing(stored.get(n))]
        profile = self.profile
        if not profile:
            entity_known = None
        elif not missing:
            entity_known = True
        else:
            gone = set(missing)
            entity_known = not all(n in gone for n in profile)
        return {
            "degraded": bool(missing),
            "missing_features": missing,
            "missing_count": len(missing),
            "entity_known": entity_known,
        }


def read_context(contract: ModelContract, stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """Rule attributes for one entity's stored features; ``stored=None`` = store not read.

    ``stored`` maps the contract's stored feature names to values (absent keys count as
    missing, as a store that has no such field answers). The services bind a
    :class:`ContextReader` once; this is the same computation.
    """
    return ContextReader(contract)(stored)
