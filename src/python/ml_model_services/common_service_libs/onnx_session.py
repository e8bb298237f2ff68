"""An ONNX Runtime session checked against the model's contract, warmed and ready to score.

A :class:`LoadedModel` is immutable once built: the handler swaps whole models, so a request
that read the reference keeps scoring on the model it started with during a reload.

Two graph contracts (``mlops_common.contracts.onnx_signature``), told apart by the graph's
inputs: the **lean** one (one float32 ``features`` row; categories encoded to ids here, by the
shared ``FeatureEncoder`` with the vocabulary from the graph's metadata, into a preallocated
row: a dict lookup per category, no pandas) and the **legacy** one (one ``[N, 1]`` tensor per
feature, strings included), which graphs registered before the lean contract and the model
cache still hold: a service upgraded in place keeps serving them.
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
    FEATURES_INPUT,
    OUTPUT_PROBABILITIES,
    POSITIVE_CLASS_COLUMN,
    FeatureEncoder,
    input_spec,
    is_lean_inputs,
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
        names = [i.name for i in self.session.get_inputs()]
        outputs = [o.name for o in self.session.get_outputs()]
        if OUTPUT_PROBABILITIES not in outputs:
            raise ModelSourceError(f"ONNX outputs {outputs} lack '{OUTPUT_PROBABILITIES}'")
        self._outputs = [OUTPUT_PROBABILITIES]
        # Single-row inputs reused across calls (predict never awaits: one call at a time per
        # event loop; threads get their own set).
        self._single = threading.local()
        self.encoder: FeatureEncoder | None = None
        if is_lean_inputs(names):
            self._check_lean()
            return
        spec = input_spec(self.contract)
        if set(names) != set(spec):
            raise ModelSourceError(
                f"ONNX inputs {sorted(names)} are neither the lean contract's "
                f"['{FEATURES_INPUT}'] nor the contract's features {sorted(spec)} of "
                f"{self.contract.registered_model_name}; re-export the model"
            )
        self._numeric = [n for n, k in spec.items() if k != "string"]
        self._strings = [n for n, k in spec.items() if k == "string"]

    def _check_lean(self) -> None:
        (graph_input,) = self.session.get_inputs()
        width = graph_input.shape[1] if len(graph_input.shape) == 2 else None
        try:
            metadata = self.session.get_modelmeta().custom_metadata_map
            self.encoder = FeatureEncoder.from_metadata(self.contract, metadata)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise ModelSourceError(f"{self.ref.name} v{self.ref.version}: {exc}") from exc
        if width != self.encoder.width or graph_input.type != "tensor(float)":
            raise ModelSourceError(
                f"ONNX input '{FEATURES_INPUT}' is {graph_input.type} {graph_input.shape}, the "
                f"contract of {self.contract.registered_model_name} needs tensor(float) "
                f"[N, {self.encoder.width}]; re-export the model"
            )

    def _single_feeds(self, row: dict[str, Any]) -> dict[str, np.ndarray]:
        feeds = getattr(self._single, "feeds", None)
        if self.encoder is not None:
            if feeds is None:
                feeds = {FEATURES_INPUT: np.zeros((1, self.encoder.width), dtype=np.float32)}
                self._single.feeds = feeds
            feeds[FEATURES_INPUT][0] = self.encoder.encode(row)
            return feeds
        if feeds is None:
            feeds = {n: np.zeros((1, 1), dtype=np.float32) for n in self._numeric}
            feeds |= {n: np.empty((1, 1), dtype=object) for n in self._strings}
            self._single.feeds = feeds
        for name in self._numeric:
            feeds[name][0, 0] = row[name]
        for name in self._strings:
            feeds[name][0, 0] = str(row[name])
        return feeds

    def _feeds(self, rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        if self.encoder is not None:
            encode = self.encoder.encode
            return {FEATURES_INPUT: np.array([encode(r) for r in rows], dtype=np.float32)}
        n = len(rows)
        feeds: dict[str, np.ndarray] = {}
        for name in self._numeric:
            feeds[name] = np.array([r[name] for r in rows], dtype=np.float32).reshape(n, 1)
        for name in self._strings:
            feeds[name] = np.array([str(r[name]) for r in rows], dtype=object).reshape(n, 1)
        return feeds

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        """Positive-class probability per row (rows hold every contract feature)."""
        if len(rows) == 1:
            (proba,) = self.session.run(self._outputs, self._single_feeds(rows[0]))
            return [float(proba[0, POSITIVE_CLASS_COLUMN])]
        return self._run(self._feeds(rows))

    def predict_keeping_rows(self, rows: list[dict[str, Any]]) -> tuple[list[float], Any]:
        """:meth:`predict`, plus the encoded ``[N, width]`` float rows (``None`` for a legacy
        graph) for a second model with the same encoder to score without encoding again: the
        shadow challenger (encoding is ~1.5 of its ~14 us a pair)."""
        if self.encoder is None:
            return self.predict(rows), None
        feeds = self._feeds(rows)
        return self._run(feeds), feeds[FEATURES_INPUT]

    def predict_encoded(self, matrix: np.ndarray) -> list[float]:
        """Positive-class probability per row of an already encoded ``[N, width]`` matrix."""
        return self._run({FEATURES_INPUT: matrix})

    def _run(self, feeds: dict[str, np.ndarray]) -> list[float]:
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
            "onnx_contract": "lean" if self.encoder is not None else "legacy",
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
