"""The services' local model cache: what lets a service start while its source is down.

``<root>/<name>/<version>/model.onnx`` + ``meta.json`` per version loaded, and a pointer
``<root>/<name>/<alias>.json`` to the version the alias last resolved to. Every file is
written atomically, so a crash mid-write never leaves a pointer to half a model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ml_model_services.common_service_libs.model_ref import ModelRef
from mlops_common.atomic_files import atomic_write_bytes, atomic_write_text


class ModelCache:
    """``<root>/<name>/<version>/model.onnx`` + ``meta.json`` and ``<name>/<alias>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def model_path(self, name: str, version: str) -> Path:
        return self.root / name / version / "model.onnx"

    def has(self, name: str, version: str) -> bool:
        return self.model_path(name, version).is_file()

    def store(self, ref: ModelRef, onnx_bytes: bytes) -> None:
        """Keep the graph of ``ref`` and where it came from."""
        path = self.model_path(ref.name, ref.version)
        atomic_write_bytes(path, onnx_bytes)
        meta = {**ref.__dict__, "sha256": hashlib.sha256(onnx_bytes).hexdigest()}
        atomic_write_text(path.with_name("meta.json"), json.dumps(meta))

    def point(self, ref: ModelRef) -> None:
        """Record that ``ref.alias`` now resolves to ``ref.version``."""
        pointer = {"name": ref.name, "version": ref.version, "run_id": ref.run_id}
        atomic_write_text(self.root / ref.name / f"{ref.alias}.json", json.dumps(pointer))

    def pointed(self, name: str, alias: str) -> ModelRef | None:
        """The version the alias last resolved to, or ``None`` without a readable pointer."""
        try:
            pointer = json.loads((self.root / name / f"{alias}.json").read_text())
        except (OSError, ValueError):
            return None
        return ModelRef(
            name, str(pointer["version"]), str(pointer.get("run_id", "")), alias, "cache"
        )

    def read(self, ref: ModelRef) -> bytes:
        return self.model_path(ref.name, ref.version).read_bytes()
