"""The challenger's model slot: which registry version may shadow the champion, and loading it.

The challenger is the registry alias ``challenger`` (``MLOPS_SERVICE_CHALLENGER_ALIAS``) while
its version is tagged ``shadow_state=shadow``, what training leaves under
``TRAINING_PROMOTION_POLICY=shadow`` (``common_ml_utils.shadow_promotion``). It loads through
the same :class:`ModelHandler` as the champion (same ONNX contract checks, same cache), and
unloads when the alias goes (promoted: training deletes it) or the tag changes (rejected).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ml_model_services.common_service_libs.model_handler import ModelHandler
from ml_model_services.common_service_libs.model_ref import ModelAbsent, ModelSourceError
from ml_model_services.common_service_libs.onnx_session import LoadedModel
from ml_model_services.common_service_libs.service_metrics import ServiceMetrics
from ml_model_services.common_service_libs.settings import ServiceSettings
from mlops_common.contracts.features import ModelContract
from mlops_common.shadow_log import IN_SHADOW, SHADOW_STATE_TAG


def shadow_only(tags: dict[str, str]) -> str | None:
    """A challenger version is served only while training says it is in shadow."""
    state = tags.get(SHADOW_STATE_TAG)
    return None if state == IN_SHADOW else f"tag {SHADOW_STATE_TAG}={state!r}, not {IN_SHADOW!r}"


class ChallengerSlot:
    """The challenger's :class:`ModelHandler`; ``refresh()`` loads, keeps or unloads it."""

    def __init__(self, handler: ModelHandler, on_unload: Callable[[], None] | None = None) -> None:
        self.handler = handler
        self._on_unload = on_unload

    @property
    def current(self) -> LoadedModel | None:
        return self.handler.current

    def refresh(self) -> dict[str, Any]:
        """Follow the alias: load a new shadow version, unload when there is none any more.

        An unreachable registry keeps the loaded challenger (as it keeps the champion).
        """
        previous = self.handler.current
        try:
            outcome = self.handler.reload()
        except ModelAbsent as exc:
            if self.handler.unload() is not None and self._on_unload is not None:
                self._on_unload()
            return {
                "version": None,
                "previous_version": loaded_version(previous),
                "reason": str(exc),
            }
        except ModelSourceError as exc:
            return {
                "version": loaded_version(previous),
                "previous_version": loaded_version(previous),
                "reason": f"kept: {exc}",
            }
        return {
            "version": outcome["model"].ref.version,
            "previous_version": loaded_version(previous),
            "reason": None,
        }


def loaded_version(model: LoadedModel | None) -> str | None:
    return None if model is None else model.ref.version


def handler_from_settings(
    settings: ServiceSettings,
    contract: ModelContract,
    model_name: str,
    alias: str,
    metrics: ServiceMetrics,
    *,
    outcome_prefix: str = "",
    eligible: Callable[[dict[str, str]], str | None] | None = None,
) -> ModelHandler:
    """A :class:`ModelHandler` of ``alias`` wired to the service's settings and metrics
    (``mlops_model_info{alias}``, reload outcomes ``<outcome_prefix><outcome>``): the champion's
    and the challenger's are built alike."""
    return ModelHandler(
        contract,
        name=model_name,
        alias=alias,
        tracking_uri=settings.platform.mlflow_tracking_uri,
        cache_dir=settings.resolved_cache_dir,
        published_dir=settings.published_models_dir,
        timeout_s=settings.registry_timeout_s,
        threads=settings.ort_threads,
        on_change=lambda m: metrics.set_model(m.ref.name, m.ref.version, m.ref.alias),
        on_outcome=lambda o: metrics.child(metrics.reloads, model_name, outcome_prefix + o).inc(),
        eligible=eligible,
    )


def challenger_slot(
    settings: ServiceSettings, contract: ModelContract, model_name: str, metrics: ServiceMetrics
) -> ChallengerSlot:
    """The slot of ``settings.challenger_alias`` (reload outcomes prefixed ``challenger_``)."""
    alias = settings.challenger_alias
    handler = handler_from_settings(
        settings, contract, model_name, alias, metrics,
        outcome_prefix="challenger_", eligible=shadow_only,
    )  # fmt: skip
    return ChallengerSlot(handler, on_unload=lambda: metrics.clear_model(model_name, alias))
