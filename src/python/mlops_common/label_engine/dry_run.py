"""Replay a candidate rules file over scored history before it goes live."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_common.jsonl import JsonLinesError, iter_json_lines
from mlops_common.label_engine.rules import RuleFileError, RuleSet


@dataclass
class DryRunReport:
    current_version: str
    candidate_version: str
    rows: int = 0
    changed: int = 0
    current_labels: Counter[str] = field(default_factory=Counter)
    candidate_labels: Counter[str] = field(default_factory=Counter)
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    candidate_rule_hits: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "current_version": self.current_version,
            "candidate_version": self.candidate_version,
            "rows": self.rows,
            "changed": self.changed,
            "changed_share": round(self.changed / self.rows, 6) if self.rows else 0.0,
            "current_labels": dict(self.current_labels),
            "candidate_labels": dict(self.candidate_labels),
            "transitions": {f"{a}->{b}": n for (a, b), n in sorted(self.transitions.items())},
            "candidate_rule_hits": dict(self.candidate_rule_hits),
        }

    def render(self) -> str:
        lines = [
            f"rules {self.current_version} -> {self.candidate_version}: {self.rows} rows replayed,"
            f" {self.changed} labels change"
            + (f" ({self.changed / self.rows:.2%})" if self.rows else ""),
        ]
        labels = sorted(set(self.current_labels) | set(self.candidate_labels))
        for label in labels:
            lines.append(
                f"  {label:<10} {self.current_labels[label]:>8} -> {self.candidate_labels[label]:>8}"
            )
        for (a, b), n in sorted(self.transitions.items()):
            lines.append(f"  changed {a} -> {b}: {n}")
        return "\n".join(lines)


def dry_run(
    current: RuleSet, candidate: RuleSet, rows: Iterable[Mapping[str, Any]]
) -> DryRunReport:
    report = DryRunReport(current.version, candidate.version)
    for row in rows:
        old, new = current.decide(row), candidate.decide(row)
        report.rows += 1
        report.current_labels[old.label] += 1
        report.candidate_labels[new.label] += 1
        report.candidate_rule_hits.update(new.fired)
        if old.label != new.label:
            report.changed += 1
            report.transitions[(old.label, new.label)] += 1
    return report


def _coerce(value: str) -> Any:
    """CSV cells arrive as text; numbers must compare as numbers, flags as booleans."""
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value == "":
        return None  # an empty cell is a missing value (e.g. entity_known when not read)
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def _read_parquet(path: Path) -> Iterable[dict[str, Any]]:
    """Batch-scoring outputs as written (``$MLOPS_HOME/predictions/...``), row by row.

    pyarrow is in the training and monitoring environments, not in the lean serving one the
    ``label-engine`` PEX is built from; there the message says how to convert instead.
    """
    try:
        import pyarrow.parquet as pq  # pants: no-infer-dep (optional: not in serving)
    except ImportError as exc:
        raise RuleFileError(
            f"{path}: reading .parquet needs pyarrow (run the dry-run from the trainer's or the"
            " monitoring environment), or convert the history to .jsonl first"
        ) from exc
    for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
        yield from batch.to_pylist()


def read_history(path: str | Path) -> Iterable[dict[str, Any]]:
    """Scored rows from JSON Lines, CSV or parquet (needs at least a ``score`` column).

    Batch-scoring outputs carry the read context (``degraded``, ``missing_features`` as
    ``"a,b"``, ``missing_count``, ``entity_known``), so rules on it replay as they decided.
    """
    path = Path(path)
    if not path.is_file():
        raise RuleFileError(f"history file {path} does not exist")
    if path.suffix == ".parquet":
        yield from _read_parquet(path)
        return
    if path.suffix in (".jsonl", ".ndjson", ".json"):
        try:
            yield from iter_json_lines(path)
        except JsonLinesError as exc:
            raise RuleFileError(str(exc)) from exc
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                yield {k: _coerce(v) for k, v in row.items()}
    else:
        raise RuleFileError(f"{path}: history must be .jsonl, .csv or .parquet")
