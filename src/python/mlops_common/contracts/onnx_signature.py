"""The ONNX graph interface shared by trainers (which export it) and services (which run it).

**The lean contract (current).** One input, ``features``: float32 ``[N, F]``, one column per
contract feature in the contract's order. Numeric features are their values (NaN = missing:
the boosters learn a direction for it). Categorical features are **ids**, looked up outside the
graph in the vocabulary the graph was trained with (:class:`FeatureEncoder`, the one place
that encodes: export and parity gate, batch scoring, services and the benchmark all call it);
a missing value becomes the contract default first, and a category the vocabulary lacks gets
:data:`UNKNOWN_CATEGORY_ID`, which the graph treats exactly like the trained one-hot encoder
treats an unknown (all zeros). The vocabulary travels with the graph: a JSON metadata entry
(:data:`VOCABULARY_METADATA_KEY`) and ``signature.json``.

Why: the previous contract (one ``[N, 1]`` tensor per feature, strings for categories, the
one-hot encoder inside the graph) cost ~26 µs per fraud row in ONNX Runtime with feeds ready
(15 inputs, 3 string tensors, ~20 nodes); one float tensor into one tree-ensemble node is what
a row really needs (measured in ``ml_model_development/benchmarks/single_row.py``).

**The legacy contract** (graphs registered before; :func:`input_spec`): one tensor per
feature, named like the feature, ``[N, 1]``, ``float32`` or ``string``. Services and batch
scoring still run such graphs (they tell the two apart by the graph's inputs,
:func:`is_lean_inputs`), so a service upgraded in place keeps serving its cached champion.

Outputs, both contracts: ``label`` (int64 ``[N]``) and ``probabilities`` (float32 ``[N, 2]``,
column 1 = positive class, no ZipMap).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_common.contracts.features import ModelContract

OUTPUT_LABEL = "label"
OUTPUT_PROBABILITIES = "probabilities"
POSITIVE_CLASS_COLUMN = 1

# Files a model's registry version carries next to the graph (artifact paths in MLflow).
ONNX_ARTIFACT_PATH = "onnx/model.onnx"
SIGNATURE_ARTIFACT_PATH = "onnx/signature.json"

# The lean contract.
FEATURES_INPUT = "features"
CONTRACT_METADATA_KEY = "onnx_contract"
LEAN_CONTRACT = "features_v2"
VOCABULARY_METADATA_KEY = "category_vocabulary"
# Never a trained category's id (ids are 0..K-1): the graph's trees send it where a one-hot
# row of all zeros went, i.e. where the trained encoder (handle_unknown="ignore") sends it.
UNKNOWN_CATEGORY_ID = -1

_NAN = float("nan")


def input_spec(contract: ModelContract) -> dict[str, str]:
    """Legacy contract: ``{input_name: "float32" | "string"}`` in the contract's feature order."""
    return {f.name: ("string" if f.dtype == "string" else "float32") for f in contract.features}


def is_lean_inputs(input_names: Sequence[str]) -> bool:
    """True for a lean-contract graph (one ``features`` input), False for a legacy one."""
    return list(input_names) == [FEATURES_INPUT]


@dataclass(frozen=True)
class FeatureEncoder:
    """Contract features → the lean graph's float row, with the graph's own vocabulary.

    ``vocabulary`` maps each categorical feature to ``{category: id}``. Pure Python (this
    package is shared by every resolve): :meth:`encode` returns a list the caller writes into
    its own preallocated float32 row; :meth:`category_ids` encodes a whole column.
    """

    contract: ModelContract
    vocabulary: Mapping[str, Mapping[str, int]]
    _plan: tuple[tuple[str, Mapping[str, int] | None, str], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        expected = set(self.contract.categorical)
        if set(self.vocabulary) != expected:
            raise ValueError(
                f"vocabulary covers {sorted(self.vocabulary)} but "
                f"{self.contract.registered_model_name}'s categorical features are "
                f"{sorted(expected)}: re-export the model with this contract"
            )
        plan = tuple(
            (s.name, self.vocabulary.get(s.name), str(s.default)) for s in self.contract.features
        )
        object.__setattr__(self, "_plan", plan)

    @property
    def width(self) -> int:
        return len(self.contract.features)

    @classmethod
    def from_metadata(cls, contract: ModelContract, metadata: Mapping[str, str]) -> FeatureEncoder:
        """From a lean graph's metadata (ONNX ``metadata_props`` / ORT custom metadata)."""
        raw = metadata.get(VOCABULARY_METADATA_KEY)
        if raw is None:
            raise ValueError(
                f"the graph has a '{FEATURES_INPUT}' input but no '{VOCABULARY_METADATA_KEY}' "
                "metadata: it was not exported by onnx_export.pipeline_to_onnx; re-export it"
            )
        return cls(contract, json.loads(raw))

    def vocabulary_json(self) -> str:
        return json.dumps({k: dict(v) for k, v in self.vocabulary.items()}, sort_keys=True)

    def encode(self, values: Mapping[str, Any]) -> list[float]:
        """One row (``{feature: value}``, every contract feature present) in contract order.

        ``None`` (and NaN for a category) means missing: numeric → NaN, category → the
        contract default, as ``prepare_frame`` does for training.
        """
        out: list[float] = []
        append = out.append
        for name, vocab, default in self._plan:
            value = values[name]
            if vocab is None:
                append(_NAN if value is None else value)
            else:
                if value is None or value != value:
                    value = default
                append(vocab.get(str(value), UNKNOWN_CATEGORY_ID))
        return out

    def category_ids(self, name: str, values: Iterable[Any]) -> list[int]:
        """Ids of one categorical column (values already defaulted, as ``prepare_frame`` does)."""
        vocab = self.vocabulary[name]
        return [vocab.get(str(v), UNKNOWN_CATEGORY_ID) for v in values]
