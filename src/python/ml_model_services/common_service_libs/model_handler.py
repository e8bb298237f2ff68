"""Keeps the current model of a registry alias and reloads it without dropping a request.

Sources, in order:

1. **MLflow registry** (``MLOPS_MLFLOW_TRACKING_URI`` is ``http(s)://``), through
   :mod:`.registry_client`.
2. **Published folder** (embedded profile, no registry server):
   ``$MLOPS_HOME/models/<name>/champion/{model.onnx,version.json}`` written by the trainer.
3. **Local cache** (:mod:`.model_cache`, ``$MLOPS_HOME/serving/model_cache``): every model
   loaded from 1 or 2 is kept there; when the source is unreachable the service starts from
   the alias' last pointer.

A (re)load builds and warms a complete :class:`~.onnx_session.LoadedModel` first and then
replaces one reference; a request reads that reference once, so requests in flight during a
swap finish on the model they started with and none fails.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ml_model_services.common_service_libs.model_cache import ModelCache
from ml_model_services.common_service_libs.model_ref import ModelAbsent, ModelRef, ModelSourceError
from ml_model_services.common_service_libs.onnx_session import LoadedModel, build_model
from ml_model_services.common_service_libs.registry_client import MlflowRegistryClient
from mlops_common.contracts.features import ModelContract

log = logging.getLogger(__name__)


class ModelHandler:
    """Owns the current :class:`LoadedModel`; ``reload()`` is safe to call from any thread."""

    def __init__(
        self,
        contract: ModelContract,
        *,
        name: str,
        alias: str,
        tracking_uri: str | None,
        cache_dir: Path,
        published_dir: Path,
        timeout_s: float = 10.0,
        threads: int = 1,
        on_change: Callable[[LoadedModel], None] | None = None,
        on_outcome: Callable[[str], None] | None = None,
        eligible: Callable[[dict[str, str]], str | None] | None = None,
    ) -> None:
        """``eligible(tags)``: ``None`` when the registry version may be served, else why not
        (raised as :class:`ModelAbsent`); the challenger slot serves only shadow versions."""
        self.contract = contract
        self.name = name
        self.alias = alias
        self.registry = (
            MlflowRegistryClient(tracking_uri, timeout_s)
            if tracking_uri and MlflowRegistryClient.serves(tracking_uri)
            else None
        )
        self.published_dir = published_dir / name / alias
        self.cache = ModelCache(cache_dir)
        self.threads = threads
        self._current: LoadedModel | None = None
        self._lock = threading.Lock()
        self._on_change = on_change
        self._on_outcome = on_outcome
        self._eligible = eligible
        self.last_error: str | None = None
        self.last_check: float | None = None

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    @property
    def source_kind(self) -> str:
        return "registry" if self.registry else "published"

    # --- sources ----------------------------------------------------------------------------
    def _resolve_source(self) -> ModelRef:
        if self.registry is not None:
            version, run_id, tags = self.registry.alias_version(self.name, self.alias)
            refused = self._eligible(tags) if self._eligible is not None else None
            if refused is not None:
                raise ModelAbsent(f"{self.name} v{version} (alias {self.alias!r}): {refused}")
            return ModelRef(self.name, version, run_id, self.alias, "registry")
        try:
            meta = json.loads((self.published_dir / "version.json").read_text())
        except FileNotFoundError as exc:
            raise ModelAbsent(f"no published model at {self.published_dir}: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise ModelSourceError(f"no published model at {self.published_dir}: {exc}") from exc
        return ModelRef(
            self.name, str(meta["version"]), str(meta.get("run_id", "")), self.alias, "published"
        )

    def _fetch(self, ref: ModelRef) -> bytes:
        if self.cache.has(ref.name, ref.version):
            return self.cache.read(ref)
        if ref.source == "registry":
            assert self.registry is not None
            data = self.registry.download(ref.name, ref.version)
        else:
            data = (self.published_dir / "model.onnx").read_bytes()
        self._cache_safely(self.cache.store, ref, data)
        return data

    def _cache_safely(self, write: Callable[..., None], *args: Any) -> None:
        """A read-only or full disk must not stop serving: the cache is a fallback only."""
        try:
            write(*args)
        except OSError as exc:
            log.warning("model cache not written (%s); serving continues without it", exc)

    def _build(self, ref: ModelRef, data: bytes) -> LoadedModel:
        return build_model(ref, data, self.contract, self.threads)

    def _publish(self, model: LoadedModel) -> None:
        self._current = model  # one reference assignment: the atomic swap
        if self._on_change is not None:
            self._on_change(model)

    def _outcome(self, outcome: str) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    def unload(self) -> LoadedModel | None:
        """Stop serving (a challenger that left shadow); returns what was loaded."""
        with self._lock:
            previous, self._current = self._current, None
        return previous

    # --- entry points -----------------------------------------------------------------------
    def load_initial(self) -> LoadedModel | None:
        """Source first, cache second; ``None`` (not ready) when both fail."""
        try:
            loaded: LoadedModel = self.reload()["model"]
            return loaded
        except ModelSourceError as exc:
            log.warning("model source unavailable, trying the local cache: %s", exc)
        ref = self.cache.pointed(self.name, self.alias)
        if ref is None:
            self.last_error = f"{self.last_error}; and no cached model"
            return None
        try:
            model = self._build(ref, self.cache.read(ref))
        except (OSError, ModelSourceError) as exc:
            self.last_error = f"{self.last_error}; cached model unusable: {exc}"
            self._outcome("failed")
            return None
        self._publish(model)
        self._outcome("cache")
        return model

    def reload(self) -> dict[str, Any]:
        """Load the alias' current version if it changed; raise :class:`ModelSourceError`."""
        with self._lock:
            self.last_check = time.time()
            previous = self._current
            try:
                ref = self._resolve_source()
                if (
                    previous is not None
                    and previous.ref.version == ref.version
                    and previous.ref.source != "cache"
                ):
                    self._outcome("unchanged")
                    return {"changed": False, "model": previous, "previous": previous}
                model = self._build(ref, self._fetch(ref))
                self._cache_safely(self.cache.point, ref)
            except ModelAbsent as exc:
                self.last_error = str(exc)
                self._outcome("absent")
                raise
            except (ModelSourceError, OSError, KeyError, ValueError) as exc:
                self.last_error = str(exc)
                self._outcome("failed")
                raise ModelSourceError(str(exc)) from exc
            self.last_error = None
            self._publish(model)
            self._outcome("loaded")
            changed = previous is None or previous.ref.version != model.ref.version
            return {"changed": changed, "model": model, "previous": previous}
