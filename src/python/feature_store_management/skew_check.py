"""Train/serve skew check: what an API decided on vs what the offline pipeline computes.

Input: a sample of a service's recent decisions (``GET /admin/decisions``: card holder,
decision time, the model inputs used). For each decision the window features are recomputed
from the **raw** payments strictly before the decision time — the definition every offline
implementation follows (:mod:`mlops_common.contracts.transaction_windows`; dbt and Spark are
tested equal to it) — and compared with what was served. A difference means the online path
(recent-payments store, stream consumer, batch refresh) saw another history than training
will: a payment lost on the stream, a refresh that did not run, clocks that disagree.

Only decisions the raw data has caught up with are judged: a decision later than the newest
raw payment may have seen payments the raw table does not hold yet (``pending``).

The result is a JSON summary and Prometheus gauges in node_exporter's textfile format:
``mlops_feature_skew_ratio{model,feature}`` (share of judged decisions whose value differs;
``feature="any"`` for the decision as a whole), ``mlops_feature_skew_decisions{model,state}``
and ``mlops_feature_skew_last_check_timestamp_seconds{model}``; the alert
``MlopsFeatureSkewHigh`` fires on the first.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from feature_store_management.recent_transactions import rows_of
from mlops_common.contracts.metrics import FEATURE_SKEW_DECISIONS as DECISIONS
from mlops_common.contracts.metrics import FEATURE_SKEW_LAST_CHECK as LAST_CHECK
from mlops_common.contracts.metrics import FEATURE_SKEW_RATIO as RATIO
from mlops_common.contracts.transaction_windows import WINDOW_FEATURES, Event, aggregate


@dataclass
class SkewReport:
    model: str
    judged: int = 0
    pending: int = 0
    skewed: int = 0
    per_feature: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WINDOW_FEATURES, 0))
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.skewed / self.judged if self.judged else 0.0

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "ratio": self.ratio})


def _differs(served: Any, offline: float | int) -> bool:
    if not isinstance(served, int | float):
        return True
    return not math.isclose(float(served), float(offline), rel_tol=1e-9, abs_tol=1e-9)


def check(model: str, decisions: list[dict[str, Any]], transactions: pd.DataFrame) -> SkewReport:
    """Compare each decision's served window features with the raw-data recomputation."""
    report = SkewReport(model)
    history: dict[int, list[Event]] = {}
    for _, user, ts, amount, category in rows_of(transactions):
        history.setdefault(user, []).append((ts, amount, category))
    newest = max((e[0] for events in history.values() for e in events), default=float("-inf"))
    for decision in decisions:
        at = float(decision["decided_at"])
        if at > newest:
            report.pending += 1
            continue
        report.judged += 1
        offline = aggregate(history.get(int(decision["entity_id"]), ()), at)
        served = decision["features"]
        wrong = [name for name in WINDOW_FEATURES if _differs(served.get(name), offline[name])]
        for name in wrong:
            report.per_feature[name] += 1
        if wrong:
            report.skewed += 1
            if len(report.examples) < 10:
                report.examples.append(
                    {
                        "entity_id": decision["entity_id"],
                        "decided_at": at,
                        "served": {n: served.get(n) for n in wrong},
                        "offline": {n: offline[n] for n in wrong},
                    }
                )
    return report


def textfile(report: SkewReport, now: float | None = None) -> str:
    """The gauges in Prometheus' text exposition format (node_exporter textfile collector)."""
    m = report.model
    lines = [
        f"# HELP {RATIO} Share of sampled decisions whose served feature differs from offline.",
        f"# TYPE {RATIO} gauge",
        f'{RATIO}{{model="{m}",feature="any"}} {report.ratio}',
    ]
    for name, count in report.per_feature.items():
        share = count / report.judged if report.judged else 0.0
        lines.append(f'{RATIO}{{model="{m}",feature="{name}"}} {share}')
    lines += [
        f"# HELP {DECISIONS} Sampled decisions by state (judged, pending, skewed).",
        f"# TYPE {DECISIONS} gauge",
        *(
            f'{DECISIONS}{{model="{m}",state="{state}"}} {value}'
            for state, value in (
                ("judged", report.judged),
                ("pending", report.pending),
                ("skewed", report.skewed),
            )
        ),
        f"# HELP {LAST_CHECK} When the skew check last ran (Unix time).",
        f"# TYPE {LAST_CHECK} gauge",
        f'{LAST_CHECK}{{model="{m}"}} {now if now is not None else time.time()}',
    ]
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, report: SkewReport) -> None:
    """Atomically (temp file + rename): the collector never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(textfile(report))
    tmp.replace(path)
