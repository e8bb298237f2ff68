"""What every online-feature reader offers the Model Service Layer, whatever the store.

One interface — ``{feature: value | None}`` per entity id, in order — so the service layer
never knows whether Redis or SQLite answered. Like the Feast SDK, readers apply no TTL on
online reads and return ``None`` for a missing entity or feature; a store that cannot be read
raises :class:`FeatureStoreUnavailable`, which the service layer turns into degraded mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml_model_services.common_service_libs.feast_layout import FeatureLayout
from mlops_common.contracts.features import ModelContract


class FeatureStoreUnavailable(RuntimeError):
    """The online store could not be read (down, timeout, missing file/table)."""


class OnlineFeatureReader:
    """Interface: ``{feature: value | None}`` per entity id, in order."""

    kind = "none"

    def __init__(self, contract: ModelContract, project: str) -> None:
        self.layout = FeatureLayout(contract)
        self.project = project

    async def read(
        self, entity_ids: Sequence[int | str], at: Sequence[float] | None = None
    ) -> list[dict[str, Any]]:
        """Stored features per entity, window features as of ``at`` (epoch s; default now)."""
        raise NotImplementedError

    async def ping(self) -> bool:
        raise NotImplementedError

    async def close(self) -> None:  # - optional hook
        pass
