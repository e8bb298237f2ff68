"""Loads the ONNX model of a registry alias, caches it on disk and swaps it atomically.

Sources, in order:

1. **MLflow registry** (``MLOPS_MLFLOW_TRACKING_URI`` is ``http(s)://``), through its REST API
   with httpx — no ``mlflow`` package in the serving image:
   ``GET /api/2.0/mlflow/registered-models/alias?name=..&alias=champion`` gives the version
   and run; ``GET /get-artifact?run_uuid=..&path=onnx/model.onnx`` the graph (the trainer logs
   it there, see :mod:`mlops_common.contracts.onnx_signature`).
2. **Published folder** (embedded profile, no registry server):
   ``$MLOPS_HOME/models/<name>/champion/{model.onnx,version.json}`` written by the trainer.
3. **Local cache** (``$MLOPS_HOME/serving/model_cache``): every model loaded from 1 or 2 is
   stored as ``<name>/<version>/model.onnx`` plus a pointer ``<name>/<alias>.json``; when the
   source is unreachable the service starts from the pointer's model.

A (re)load builds and warms a complete :class:`LoadedModel` first and then replaces one
reference; a request reads that reference once, so requests in flight during a swap finish
on the model they started with and none fails.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import onnxruntime as ort

from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import (
    ONNX_ARTIFACT_PATH,
    OUTPUT_PROBABILITIES,
    POSITIVE_CLASS_COLUMN,
    input_spec,
)

log = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """No model could be loaded from any source."""


class ModelSourceError(RuntimeError):
    """The registry/published folder could not provide the model."""


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    run_id: str
    alias: str
    source: str


@dataclass
class LoadedModel:
    """An ONNX Runtime session plus where it came from; immutable once published."""

    ref: ModelRef
    session: ort.InferenceSession
    sha256: str
    contract: ModelContract
    loaded_at: str = field(default_factory=lambda: datetime.now(tz=UTC).isoformat())

    def __post_init__(self) -> None:
        spec = input_spec(self.contract)
        names = {i.name for i in self.session.get_inputs()}
        if names != set(spec):
            raise ModelSourceError(
                f"ONNX inputs {sorted(names)} do not match the contract's features "
                f"{sorted(spec)} of {self.contract.registered_model_name}"
            )
        outputs = [o.name for o in self.session.get_outputs()]
        if OUTPUT_PROBABILITIES not in outputs:
            raise ModelSourceError(f"ONNX outputs {outputs} lack '{OUTPUT_PROBABILITIES}'")
        self._numeric = [n for n, k in spec.items() if k != "string"]
        self._strings = [n for n, k in spec.items() if k == "string"]
        self._outputs = [OUTPUT_PROBABILITIES]

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        """Positive-class probability per row (rows hold every contract feature)."""
        n = len(rows)
        feeds: dict[str, np.ndarray] = {}
        for name in self._numeric:
            feeds[name] = np.array([r[name] for r in rows], dtype=np.float32).reshape(n, 1)
        for name in self._strings:
            feeds[name] = np.array([str(r[name]) for r in rows], dtype=object).reshape(n, 1)
        (proba,) = self.session.run(self._outputs, feeds)
        return [float(p) for p in proba[:, POSITIVE_CLASS_COLUMN]]

    def info(self) -> dict[str, Any]:
        return {
            "name": self.ref.name,
            "version": self.ref.version,
            "alias": self.ref.alias,
            "run_id": self.ref.run_id,
            "source": self.ref.source,
            "sha256": self.sha256,
            "loaded_at": self.loaded_at,
            "inputs": {i.name: i.type for i in self.session.get_inputs()},
        }


class MlflowRegistryClient:
    """The two MLflow REST calls the services need (registry alias, artifact download)."""

    def __init__(self, tracking_uri: str, timeout_s: float = 10.0) -> None:
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout_s

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        try:
            response = httpx.get(f"{self.base}{path}", params=params, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ModelSourceError(f"MLflow at {self.base} unreachable: {exc}") from exc
        if response.status_code != 200:
            raise ModelSourceError(
                f"MLflow {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response

    def version_for_alias(self, name: str, alias: str) -> tuple[str, str]:
        body = self._get(
            "/api/2.0/mlflow/registered-models/alias", {"name": name, "alias": alias}
        ).json()
        mv = body.get("model_version") or {}
        if "version" not in mv:
            raise ModelSourceError(f"no version of {name} has alias {alias!r}")
        return str(mv["version"]), str(mv.get("run_id", ""))

    def download(self, run_id: str, path: str = ONNX_ARTIFACT_PATH) -> bytes:
        return self._get("/get-artifact", {"run_uuid": run_id, "path": path}).content


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class ModelCache:
    """``<root>/<name>/<version>/model.onnx`` + ``meta.json`` and ``<name>/<alias>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def model_path(self, name: str, version: str) -> Path:
        return self.root / name / version / "model.onnx"

    def has(self, name: str, version: str) -> bool:
        return self.model_path(name, version).is_file()

    def store(self, ref: ModelRef, onnx_bytes: bytes) -> None:
        _atomic_write(self.model_path(ref.name, ref.version), onnx_bytes)
        meta = {**ref.__dict__, "sha256": hashlib.sha256(onnx_bytes).hexdigest()}
        _atomic_write(
            self.model_path(ref.name, ref.version).with_name("meta.json"), json.dumps(meta).encode()
        )

    def point(self, ref: ModelRef) -> None:
        pointer = {"name": ref.name, "version": ref.version, "run_id": ref.run_id}
        _atomic_write(self.root / ref.name / f"{ref.alias}.json", json.dumps(pointer).encode())

    def pointed(self, name: str, alias: str) -> ModelRef | None:
        try:
            pointer = json.loads((self.root / name / f"{alias}.json").read_text())
        except (OSError, ValueError):
            return None
        return ModelRef(
            name, str(pointer["version"]), str(pointer.get("run_id", "")), alias, "cache"
        )

    def read(self, ref: ModelRef) -> bytes:
        return self.model_path(ref.name, ref.version).read_bytes()


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
        on_change=None,
        on_outcome=None,
    ) -> None:
        self.contract = contract
        self.name = name
        self.alias = alias
        self.registry = (
            MlflowRegistryClient(tracking_uri, timeout_s)
            if tracking_uri and tracking_uri.startswith(("http://", "https://"))
            else None
        )
        self.published_dir = published_dir / name / alias
        self.cache = ModelCache(cache_dir)
        self.threads = threads
        self._current: LoadedModel | None = None
        self._lock = threading.Lock()
        self._on_change = on_change
        self._on_outcome = on_outcome
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
            version, run_id = self.registry.version_for_alias(self.name, self.alias)
            return ModelRef(self.name, version, run_id, self.alias, "registry")
        try:
            meta = json.loads((self.published_dir / "version.json").read_text())
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
            data = self.registry.download(ref.run_id)
        else:
            data = (self.published_dir / "model.onnx").read_bytes()
        self._cache_safely(self.cache.store, ref, data)
        return data

    def _cache_safely(self, write, *args) -> None:
        """A read-only or full disk must not stop serving: the cache is a fallback only."""
        try:
            write(*args)
        except OSError as exc:
            log.warning("model cache not written (%s); serving continues without it", exc)

    def _build(self, ref: ModelRef, data: bytes) -> LoadedModel:
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # - ORT raises its own exception types
            raise ModelSourceError(
                f"{ref.name} v{ref.version} is not a valid ONNX model: {exc}"
            ) from exc
        model = LoadedModel(ref, session, hashlib.sha256(data).hexdigest(), self.contract)
        model.predict([self.contract.defaults()])  # warm-up before it takes traffic
        return model

    def _publish(self, model: LoadedModel) -> None:
        self._current = model  # one reference assignment: the atomic swap
        if self._on_change is not None:
            self._on_change(model)

    def _outcome(self, outcome: str) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    # --- entry points -----------------------------------------------------------------------
    def load_initial(self) -> LoadedModel | None:
        """Source first, cache second; ``None`` (not ready) when both fail."""
        try:
            return self.reload()["model"]
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
            except (ModelSourceError, OSError, KeyError, ValueError) as exc:
                self.last_error = str(exc)
                self._outcome("failed")
                raise ModelSourceError(str(exc)) from exc
            self.last_error = None
            self._publish(model)
            self._outcome("loaded")
            changed = previous is None or previous.ref.version != model.ref.version
            return {"changed": changed, "model": model, "previous": previous}
