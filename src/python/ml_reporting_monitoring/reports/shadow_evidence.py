"""The shadow evidence behind promotions, read back from the model versions' tags.

``trainer promote-challenger`` (``ml_model_development/common_ml_utils/shadow_promotion.py``)
writes every figure it judged on as ``promotion_shadow_*`` tags of the challenger version
(requests, agreement, changed decisions, labelled rows, both models' metric on them, the
thresholds, the verdict). :func:`model_versions` already collects ``promotion_*`` tags into
each version's ``gate`` dict, so this table needs no other MLflow call: the report shows why a
shadow promotion happened (or why a challenger is still waiting or flagged) from the registry
alone, as it does for offline promotions.
"""

from __future__ import annotations

import json

import pandas as pd

SHADOW_COLUMNS = [
    "version", "verdict", "shadow log", "requests", "errors", "agreement", "changed decisions",
    "labelled (positive)", "metric champion -> challenger", "thresholds",
]  # fmt: skip


def _number(value: str | None, digits: int = 4) -> str:
    if value is None or value in ("", "None"):
        return "n/a"
    return f"{float(value):.{digits}f}"


def _changed(value: str | None) -> str:
    try:
        changed = json.loads(value or "{}")
    except json.JSONDecodeError:
        return str(value)
    return ", ".join(f"{k.replace('->', ' -> ')}: {n}" for k, n in changed.items()) or "none"


def shadow_evidence_table(versions: pd.DataFrame) -> pd.DataFrame:
    """One row per version that was checked in shadow, newest first."""
    rows = []
    for row in versions.itertuples():
        gate = row.gate if isinstance(row.gate, dict) else {}
        if "shadow_verdict" not in gate:
            continue
        verdict = gate["shadow_verdict"]
        if gate.get("evidence") == "shadow" and gate.get("promoted") == "true":
            verdict = "promoted"
        rows.append(
            {
                "version": int(row.version),
                "verdict": f"{verdict} (vs v{gate.get('shadow_champion_version', '?')})",
                "shadow log": f"{gate.get('shadow_window_start', '?')} .. "
                f"{gate.get('shadow_window_end', '?')}",
                "requests": gate.get("shadow_requests", "0"),
                "errors": gate.get("shadow_errors", "0"),
                "agreement": _number(gate.get("shadow_agreement")),
                "changed decisions": _changed(gate.get("shadow_changed")),
                "labelled (positive)": f"{gate.get('shadow_labelled', '0')}"
                f" ({gate.get('shadow_positives', '0')})",
                "metric champion -> challenger": f"{gate.get('shadow_metric', '?')} "
                f"{_number(gate.get('shadow_champion_metric'))} -> "
                f"{_number(gate.get('shadow_challenger_metric'))}",
                "thresholds": f"requests >= {gate.get('shadow_min_requests', '?')}, agreement >= "
                f"{gate.get('shadow_min_agreement', '?')}, labelled >= "
                f"{gate.get('shadow_min_labelled', '?')}, metric drop <= "
                f"{gate.get('shadow_max_metric_drop', '?')}",
            }
        )
    frame = pd.DataFrame(rows, columns=SHADOW_COLUMNS)
    return frame.sort_values("version", ascending=False).reset_index(drop=True)
