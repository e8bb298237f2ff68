"""Prometheus alert rules as code: load them, and run promtool's checks and unit tests.

promtool is a system binary (Debian package ``prometheus``), not a Python package; it is
looked up on PATH and then in /usr/bin, since test sandboxes may run with a minimal PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from mlops_common.contracts import metrics

ALERTS_DIR = Path("dashboards/alerts")
_FALLBACK_DIRS = ("/usr/bin", "/usr/local/bin")
_METRIC_TOKEN = re.compile(r"\bmlops_[a-z0-9_]+")
_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


@dataclass(frozen=True)
class AlertRule:
    file: str
    group: str
    name: str
    expr: str
    labels: dict
    annotations: dict


def find_binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in _FALLBACK_DIRS if (Path(d) / name).exists()), None
    )
    if found is None:
        raise FileNotFoundError(
            f"{name} not found: install the Debian package 'prometheus' "
            "(build-support/bootstrap_system.sh does it)"
        )
    return found


def run_promtool(*args: str | Path) -> str:
    """Run promtool; returns its output, raises with the output when it fails."""
    result = subprocess.run(
        [find_binary("promtool"), *map(str, args)], capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"promtool {' '.join(map(str, args))} failed:\n{output}")
    return output


def load_rules(path: Path) -> list[AlertRule]:
    document = yaml.safe_load(path.read_text())
    return [
        AlertRule(
            file=path.name,
            group=group["name"],
            name=rule.get("alert") or rule.get("record"),
            expr=rule["expr"].strip(),
            labels=rule.get("labels", {}),
            annotations=rule.get("annotations", {}),
        )
        for group in document["groups"]
        for rule in group["rules"]
    ]


def contract_metric_names() -> set[str]:
    """Every series name the contract allows: metrics plus histogram/counter sample names."""
    from ml_reporting_monitoring.drift.metrics_export import (
        CONCEPT_METRIC_RELATIVE_CHANGE,
        FEATURE_DRIFT_DETECTED,
        FEATURE_DRIFT_STATISTIC,
        FEATURE_MISSING_DRIFT_DETECTED,
        FEATURE_MISSING_RATIO,
    )

    names = {v for k, v in vars(metrics).items() if k.isupper() and isinstance(v, str)}
    names |= {FEATURE_DRIFT_DETECTED, CONCEPT_METRIC_RELATIVE_CHANGE, FEATURE_DRIFT_STATISTIC,
              FEATURE_MISSING_RATIO, FEATURE_MISSING_DRIFT_DETECTED}  # fmt: skip
    return names | {n + s for n in names for s in _HISTOGRAM_SUFFIXES}


def unknown_metrics(expr: str) -> set[str]:
    """``mlops_*`` names in ``expr`` that are not in the metrics contract (typos, renames)."""
    return set(_METRIC_TOKEN.findall(expr)) - contract_metric_names()
