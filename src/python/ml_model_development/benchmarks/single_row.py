"""Single-row scoring, like with like: the ONNX graph vs the native booster on the same row.

Both sides start from the **same prepared input**, one row as a ``{feature: value}`` dict of
plain Python values in contract order (what a service holds after its online-store read),
and each side's input conversion runs **inside the clock**:

* **ONNX**: the values are encoded by the shared ``FeatureEncoder`` (categories → ids of the
  graph's vocabulary) into a reusable ``(1, F)`` float32 row — exactly what the fraud/churn
  services do per request — then ``session.run(["probabilities"], {"features": row})``. A
  legacy-contract graph is fed as the services feed it: reusable ``(1, 1)`` arrays per feature.
* **native booster** (the goal's baseline): the values are written into a reusable ``(1, n)``
  float32 row, one-hot columns looked up in the fitted encoder's categories (the cheapest
  correct encoding; checked equal to the Pipeline's own ``transform``), then the fitted
  estimator's ``predict_proba`` (``XGBClassifier`` / ``LGBMClassifier``).
* **booster core call** (information): the same encoding, then the library's lowest-level
  single-row call (XGBoost ``Booster.inplace_predict``, LightGBM ``Booster.predict``).
* **native Pipeline** (information only, no goal): a 1-row DataFrame built from the dict,
  then the registered sklearn Pipeline's ``predict_proba`` (DataFrame handling included).

Both engines use the same thread count (ORT ``intra_op_num_threads`` = booster ``nthread`` =
``threads``). The sides run in alternating blocks, so a slow spell of a shared machine hits
every side. Conversion and the engine call are also timed alone, to say where time goes.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml_model_development.common_ml_utils.onnx_export import OnnxScorer
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import FEATURES_INPUT, FeatureEncoder, input_spec

SIDES = ("onnx", "booster", "booster_core", "pipeline")
# Goal from issue 4, restored by issue 16: the graph vs the booster on the same row.
ROW_SPEEDUP_GOAL = 10.0


class RowEncoder:
    """dict row -> the booster's encoded float32 row, with the fitted encoder's layout.

    ``ColumnTransformer([("categorical", OneHotEncoder, cats), ("numeric", passthrough)])``
    puts the one-hot blocks first (per feature, in category order), then the numerics.
    Unknown categories stay all zeros, as ``handle_unknown="ignore"`` does.
    """

    def __init__(self, preprocess: Any, contract: ModelContract) -> None:
        encoder = preprocess.named_transformers_["categorical"]
        self.width = len(preprocess.get_feature_names_out())
        self.onehot: dict[str, dict[str, int]] = {}
        position = 0
        for name, categories in zip(contract.categorical, encoder.categories_, strict=True):
            self.onehot[name] = {str(c): position + i for i, c in enumerate(categories)}
            position += len(categories)
        self.numeric = [(name, position + i) for i, name in enumerate(contract.numeric)]
        self.row = np.zeros((1, self.width), dtype=np.float32)

    def encode(self, values: dict[str, Any]) -> np.ndarray:
        row = self.row
        row.fill(0.0)
        for name, positions in self.onehot.items():
            column = positions.get(str(values[name]))
            if column is not None:
                row[0, column] = 1.0
        for name, column in self.numeric:
            row[0, column] = values[name]
        return row


class FeedWriter:
    """dict row -> reusable ONNX feeds, as the model services build them per request."""

    def __init__(self, contract: ModelContract, encoder: FeatureEncoder | None) -> None:
        self.encoder = encoder
        if encoder is not None:  # the lean contract: one float row
            self.row = np.zeros((1, encoder.width), dtype=np.float32)
            self.feeds = {FEATURES_INPUT: self.row}
            return
        spec = input_spec(contract)
        self.numeric = [n for n, kind in spec.items() if kind != "string"]
        self.strings = [n for n, kind in spec.items() if kind == "string"]
        self.feeds = {n: np.zeros((1, 1), dtype=np.float32) for n in self.numeric}
        self.feeds |= {n: np.empty((1, 1), dtype=object) for n in self.strings}

    def write(self, values: dict[str, Any]) -> dict[str, np.ndarray]:
        if self.encoder is not None:
            self.row[0] = self.encoder.encode(values)
            return self.feeds
        feeds = self.feeds
        for name in self.numeric:
            feeds[name][0, 0] = values[name]
        for name in self.strings:
            feeds[name][0, 0] = str(values[name])
        return feeds


@dataclass
class RowResult:
    """p50/p99 (µs) per side and per part; ``parts`` say where each side's time goes."""

    threads: int
    calls: int
    us: dict[str, tuple[float, float]] = field(default_factory=dict)
    parts_us: dict[str, float] = field(default_factory=dict)
    max_abs_diff: float = 0.0
    graph: dict[str, int] = field(default_factory=dict)

    @property
    def speedup(self) -> float:
        """The goal's figure: booster ``predict_proba`` p50 / ONNX p50 (same row, same threads)."""
        return self.us["booster"][0] / self.us["onnx"][0]

    @property
    def goal_met(self) -> bool:
        return self.speedup >= ROW_SPEEDUP_GOAL


T = TypeVar("T")


def _timed_blocks(
    sides: dict[str, Callable[[T], object]], rows: list[T], blocks: int
) -> dict[str, tuple[float, float]]:
    """p50/p99 µs per side; sides alternate in ``blocks`` blocks of ``len(rows)/blocks`` calls."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for fn in sides.values():  # warm-up: first-call allocations are not the engine's speed
        for values in rows[:20]:
            fn(values)
    size = max(len(rows) // blocks, 1)
    for block in range(blocks):
        chunk = rows[block * size : (block + 1) * size]
        order = list(sides) if block % 2 == 0 else list(sides)[::-1]
        for name in order:
            fn, out = sides[name], samples[name]
            for values in chunk:
                started = time.perf_counter()
                fn(values)
                out.append(time.perf_counter() - started)
    return {
        name: (float(np.percentile(s, 50) * 1e6), float(np.percentile(s, 99) * 1e6))
        for name, s in samples.items()
    }


def _core_call(model: Any, threads: int) -> Callable[[np.ndarray], object]:
    """The library's lowest-level one-row call on an encoded row, with ``threads`` threads."""
    if hasattr(model, "get_booster"):  # XGBoost
        booster = model.get_booster()
        booster.set_param({"nthread": threads})
        return booster.inplace_predict
    booster = model.booster_  # LightGBM
    return lambda row: booster.predict(row, num_threads=threads)


def graph_shape(onnx_bytes: bytes) -> dict[str, int]:
    """Inputs, string inputs and nodes of the graph: what one ORT call has to walk."""
    import onnx

    graph = onnx.load_from_string(onnx_bytes).graph
    strings = sum(1 for i in graph.input if i.type.tensor_type.elem_type == onnx.TensorProto.STRING)
    return {"inputs": len(graph.input), "string_inputs": strings, "nodes": len(graph.node)}


def measure(
    native: Pipeline,
    onnx_bytes: bytes,
    contract: ModelContract,
    frame: pd.DataFrame,
    calls: int,
    threads: int = 1,
    blocks: int = 10,
) -> RowResult:
    """Time the four sides on ``calls`` one-row dicts taken from ``frame`` (prepared rows)."""
    pool = frame[contract.feature_names].to_dict("records")
    rows = [pool[i % len(pool)] for i in range(max(calls, blocks))]
    model = copy.deepcopy(native[-1])
    model.set_params(n_jobs=threads)
    encoder = RowEncoder(native[-2], contract)  # the fitted ColumnTransformer
    check = native[:-1].transform(frame.iloc[:200])
    for i in range(min(len(pool), 200)):
        np.testing.assert_array_equal(encoder.encode(pool[i]), check[i : i + 1])
    core = _core_call(model, threads)
    scorer = OnnxScorer(onnx_bytes, contract, threads=threads)
    session = scorer.session
    feeds = FeedWriter(contract, scorer.encoder)
    columns = contract.feature_names

    def onnx_side(values: dict[str, Any]) -> float:
        return float(session.run(["probabilities"], feeds.write(values))[0][0, 1])

    def booster_side(values: dict[str, Any]) -> float:
        return float(model.predict_proba(encoder.encode(values))[0, 1])

    sides = {
        "onnx": onnx_side,
        "booster": booster_side,
        "booster_core": lambda values: core(encoder.encode(values)),
        "pipeline": lambda values: native.predict_proba(pd.DataFrame([values], columns=columns)),
    }
    out = RowResult(threads=threads, calls=len(rows), graph=graph_shape(onnx_bytes))
    out.us = _timed_blocks(sides, rows, blocks)
    prepared_feeds = [{k: v.copy() for k, v in feeds.write(r).items()} for r in rows[:500]]
    encoded = [encoder.encode(r).copy() for r in rows[:500]]
    out.parts_us = _parts(feeds, encoder, session, model, core, rows[:500], prepared_feeds, encoded)
    out.max_abs_diff = max(abs(onnx_side(r) - booster_side(r)) for r in rows[:500])
    return out


def _parts(
    feeds: FeedWriter,
    encoder: RowEncoder,
    session: Any,
    model: Any,
    core: Callable[[np.ndarray], object],
    rows: list[dict[str, Any]],
    prepared_feeds: list[dict[str, np.ndarray]],
    encoded: list[np.ndarray],
) -> dict[str, float]:
    """p50 µs of each side's conversion and engine call alone (the engine on ready inputs)."""
    index = list(range(len(rows)))
    by_row = _timed_blocks({"onnx_feeds": feeds.write, "booster_encode": encoder.encode}, rows, 4)
    by_index = _timed_blocks(
        {
            "onnx_run": lambda i: session.run(["probabilities"], prepared_feeds[i]),
            "booster_predict_proba": lambda i: model.predict_proba(encoded[i]),
            "booster_core_call": lambda i: core(encoded[i]),
        },
        index,
        4,
    )
    return {name: p50 for name, (p50, _) in (by_row | by_index).items()}
