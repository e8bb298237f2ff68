"""The lean ONNX graph: one float ``features`` input (categories as ids) → one tree ensemble.

The trained model stays ``Pipeline(ColumnTransformer(one-hot, passthrough), booster)``; only
its export changes. The booster is converted alone (skl2onnx with the onnxmltools converters,
input = the one-hot-encoded matrix), then its tree-ensemble node is re-pointed from encoded
columns to the contract's columns:

* a split on a numeric column keeps its mode and threshold, on the feature's contract column;
* a split on the one-hot column of category ``k`` of feature ``f`` tests a value that is only
  ever 0 or 1, so it is a test of ``id(f) == k``: the node becomes ``BRANCH_EQ``/``BRANCH_NEQ``
  against ``k`` on ``f``'s contract column, sending each id exactly where its one-hot row
  went (an unknown id, :data:`UNKNOWN_CATEGORY_ID`, goes where the all-zeros row went).

Why not keep the encoder in the graph: with 15 ``[N, 1]`` inputs, three string tensors and
~8 nodes in front of the trees, one fraud row cost 2-3x the trees themselves in ONNX Runtime
(``benchmarks/single_row.py``). The rewrite is exact by construction, and the parity gate
(``onnx_export.check_parity``, holdout + missing/unseen rows) proves it on every export.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from onnx import ModelProto, NodeProto, helper
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.onnx_signature import FEATURES_INPUT, UNKNOWN_CATEGORY_ID

# A node whose one-hot test has the same answer for 0 and 1 (possible in principle) compares
# with an id no row ever has, so it always or never branches "true".
_NEVER_ID = float(UNKNOWN_CATEGORY_ID - 1)
_PROBE_UNKNOWN = "\x00unknown-probe\x00"
_TESTS = {
    "BRANCH_LT": lambda x, t: x < t,
    "BRANCH_LEQ": lambda x, t: x <= t,
    "BRANCH_GT": lambda x, t: x > t,
    "BRANCH_GTE": lambda x, t: x >= t,
    "BRANCH_EQ": lambda x, t: x == t,
    "BRANCH_NEQ": lambda x, t: x != t,
}

# encoded column -> (contract column, category id or None for a numeric column)
Layout = dict[int, tuple[int, int | None]]


def encoded_layout(
    preprocess: ColumnTransformer, contract: ModelContract
) -> tuple[Layout, dict[str, dict[str, int]]]:
    """Where each encoded column comes from, and the vocabulary ``{feature: {category: id}}``.

    Read by transforming probe rows through the fitted transformer (one row per known
    category, other categories unknown), so it holds whatever the encoder does (grouped
    infrequent categories share an id; a dropped category gets none, i.e. unknown).
    """
    position = {name: i for i, name in enumerate(contract.feature_names)}
    width = len(preprocess.get_feature_names_out())
    layout: Layout = {}
    numeric = preprocess.output_indices_["numeric"]
    for name, column in zip(contract.numeric, range(numeric.start, numeric.stop), strict=True):
        layout[column] = (position[name], None)
    encoder = preprocess.named_transformers_["categorical"]
    vocabulary: dict[str, dict[str, int]] = {}
    for name, categories in zip(contract.categorical, encoder.categories_, strict=True):
        probe = pd.DataFrame({n: [_PROBE_UNKNOWN] * len(categories) for n in contract.categorical})
        probe[name] = [str(c) for c in categories]
        for n in contract.numeric:
            probe[n] = np.float32(0.0)
        with warnings.catch_warnings():  # the probe's unknowns are meant: "unknown categories"
            warnings.simplefilter("ignore", UserWarning)
            encoded = np.asarray(preprocess.transform(probe[contract.feature_names]))
        hot = encoded[:, preprocess.output_indices_["categorical"]] == 1.0
        start = preprocess.output_indices_["categorical"].start
        columns = sorted({int(c) + start for c in np.nonzero(hot)[1]})
        ids = {column: i for i, column in enumerate(columns)}
        vocabulary[name] = {}
        for category, row in zip(categories, hot, strict=True):
            (cols,) = np.nonzero(row)
            if len(cols) > 1:
                raise ValueError(f"category {category!r} of {name} sets {len(cols)} columns")
            if len(cols) == 1:
                vocabulary[name][str(category)] = ids[int(cols[0]) + start]
        for column, category_id in ids.items():
            layout[column] = (position[name], category_id)
    if sorted(layout) != list(range(width)):
        raise ValueError(
            f"the preprocessor's {width} encoded columns are not one-hot blocks plus the "
            f"contract's numerics; the lean ONNX export supports one_hot_transformer only"
        )
    return layout, vocabulary


def _attribute(node: NodeProto, name: str) -> list:
    for attr in node.attribute:
        if attr.name == name:
            return list(helper.get_attribute_value(attr))
    raise ValueError(f"{node.op_type} has no attribute {name}")


def _set_attribute(node: NodeProto, name: str, values: list) -> None:
    for i, attr in enumerate(node.attribute):
        if attr.name == name:
            node.attribute.remove(attr)
            node.attribute.insert(i, helper.make_attribute(name, values))
            return
    raise ValueError(f"{node.op_type} has no attribute {name}")


def repoint_trees(node: NodeProto, layout: Layout) -> None:
    """Rewrite a TreeEnsemble node from encoded columns to contract columns (see module doc)."""
    features = _attribute(node, "nodes_featureids")
    modes = [m.decode() if isinstance(m, bytes) else m for m in _attribute(node, "nodes_modes")]
    values = _attribute(node, "nodes_values")
    for i, mode in enumerate(modes):
        if mode == "LEAF":
            continue
        column, category = layout[features[i]]
        features[i] = column
        if category is None:
            continue
        test = _TESTS[mode]
        when_zero, when_one = bool(test(0.0, values[i])), bool(test(1.0, values[i]))
        if when_zero != when_one:  # true for the absent (0) or the present (1) category
            modes[i], values[i] = ("BRANCH_NEQ" if when_zero else "BRANCH_EQ"), float(category)
        else:
            modes[i], values[i] = ("BRANCH_NEQ" if when_zero else "BRANCH_EQ"), _NEVER_ID
    _set_attribute(node, "nodes_featureids", features)
    _set_attribute(node, "nodes_modes", modes)
    _set_attribute(node, "nodes_values", values)


def floor_lightgbm_thresholds(node: NodeProto, dump: dict[str, Any]) -> int:
    """Set each ``<=`` split's threshold to the largest float32 not above LightGBM's double.

    LightGBM splits at double thresholds (midpoints between bin bounds); the converter writes
    them as the *nearest* float32, which can round up onto a float32 value the features
    actually take, and such a row then goes left in ONNX and right in LightGBM (seen on a
    1M-row churn model: one parity row off by 6e-3). Features are float32 everywhere
    (``preprocessing.prepare_frame``), and for a float32 ``x``, ``x <= t`` holds exactly when
    ``x <= floor32(t)``: the graph then splits every row as LightGBM does. The ONNX nodes are
    matched to the dump by walking both trees from their roots; returns how many moved.
    """
    tree_ids = _attribute(node, "nodes_treeids")
    index = {
        key: i
        for i, key in enumerate(zip(tree_ids, _attribute(node, "nodes_nodeids"), strict=True))
    }
    true_ids, false_ids = _attribute(node, "nodes_truenodeids"), _attribute(
        node, "nodes_falsenodeids"
    )
    features = _attribute(node, "nodes_featureids")
    modes = [m.decode() if isinstance(m, bytes) else m for m in _attribute(node, "nodes_modes")]
    values = _attribute(node, "nodes_values")
    moved = 0
    for tree_id, info in enumerate(dump["tree_info"]):
        stack = [(info["tree_structure"], 0)]
        while stack:
            split, onnx_id = stack.pop()
            if "split_index" not in split:
                continue
            i = index[(tree_id, onnx_id)]
            if features[i] != split["split_feature"]:
                raise ValueError(f"tree {tree_id}: the ONNX nodes do not follow LightGBM's tree")
            if modes[i] == "BRANCH_LEQ":
                threshold = float(split["threshold"])
                with np.errstate(over="ignore"):  # beyond float32: inf, then moved to its max
                    below = np.float32(threshold)
                if float(below) > threshold:
                    below = np.nextafter(below, np.float32(-np.inf))
                    moved += 1
                values[i] = float(below)
            stack.append((split["left_child"], true_ids[i]))
            stack.append((split["right_child"], false_ids[i]))
    _set_attribute(node, "nodes_values", values)
    return moved


def _drop_output_identities(onx: ModelProto) -> None:
    """Let the producer write a graph output itself: an Identity costs ORT a node per call."""
    outputs = {o.name for o in onx.graph.output}
    for node in [n for n in onx.graph.node if n.op_type == "Identity"]:
        if node.output[0] not in outputs:
            continue
        for producer in onx.graph.node:
            for i, name in enumerate(producer.output):
                if name == node.input[0]:
                    producer.output[i] = node.output[0]
        onx.graph.node.remove(node)


def lean_graph(
    pipeline: Pipeline, contract: ModelContract, target_opset: dict[str, int]
) -> tuple[ModelProto, dict[str, dict[str, int]]]:
    """The booster as one tree ensemble on ``features`` ``[N, F]``, and its vocabulary."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    preprocess, booster = pipeline[-2], pipeline[-1]
    layout, vocabulary = encoded_layout(preprocess, contract)
    onx = convert_sklearn(
        booster,
        name=contract.registered_model_name,
        initial_types=[(FEATURES_INPUT, FloatTensorType([None, len(layout)]))],
        target_opset=target_opset,
        options={id(booster): {"zipmap": False}},
    )
    trees = [n for n in onx.graph.node if n.op_type.startswith("TreeEnsemble")]
    if len(trees) != 1 or list(trees[0].input) != [FEATURES_INPUT]:
        raise ValueError(f"expected one tree ensemble reading '{FEATURES_INPUT}', got {trees}")
    if type(booster).__module__.startswith("lightgbm"):
        floor_lightgbm_thresholds(trees[0], booster.booster_.dump_model())
    repoint_trees(trees[0], layout)
    _drop_output_identities(onx)
    dims = onx.graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_value = len(contract.features)
    return onx, vocabulary
