"""An ONNX Runtime session checked against the model's contract, warmed and ready to score.

A :class:`LoadedModel` is immutable once built: the handler swaps whole models, so a request
that read the reference keeps scoring on the model it started with during a reload.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import onnxruntime as ort

from ml_model_services.common_service_libs.model_ref import ModelRef, ModelSourceError
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import (
    OUTPUT_PROBABILITIES,
    POSITIVE_CLASS_COLUMN,
    input_spec,
)


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
        # Single-row inputs reused across calls (predict never awaits: one call at a time per
        # event loop; threads get their own set).
        self._single = threading.local()

    def _single_feeds(self, row: dict[str, Any]) -> dict[str, np.ndarray]:
        feeds = getattr(self._single, "feeds", None)
        if feeds is None:
            feeds = {n: np.zeros((1, 1), dtype=np.float32) for n in self._numeric}
            feeds |= {n: np.empty((1, 1), dtype=object) for n in self._strings}
            self._single.feeds = feeds
        for name in self._numeric:
            feeds[name][0, 0] = row[name]
        for name in self._strings:
            feeds[name][0, 0] = str(row[name])
        return feeds

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        """Positive-class probability per row (rows hold every contract feature)."""
        n = len(rows)
        if n == 1:
            (proba,) = self.session.run(self._outputs, self._single_feeds(rows[0]))
            return [float(proba[0, POSITIVE_CLASS_COLUMN])]
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


def build_model(ref: ModelRef, data: bytes, contract: ModelContract, threads: int) -> LoadedModel:
    """Session with ``threads`` intra-op threads, checked and warmed on the contract defaults.

    Sequential execution and one inter-op thread: a single row is ~10 µs of work, and more
    threads only add contention with the event loop.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # - ORT raises its own exception types
        raise ModelSourceError(
            f"{ref.name} v{ref.version} is not a valid ONNX model: {exc}"
        ) from exc
    model = LoadedModel(ref, session, hashlib.sha256(data).hexdigest(), contract)
    model.predict([contract.defaults()])  # warm-up before it takes traffic
    return model
