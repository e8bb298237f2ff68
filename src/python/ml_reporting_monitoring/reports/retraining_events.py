"""What happened to each retrained model and why: promotion decisions and drift alerts.

The promotion gate (trainer PEX) records its decision on the challenger's model version
(tags ``promotion_promoted``, ``promotion_reason`` — metric, both scores and the margin —,
``promotion_window`` — the rows both models were scored on, after both data cutoffs —,
``promotion_previous_champion``, ``promotion_decided_at``); that record is used
first. Versions from before the gate recorded itself fall back to the training DAG's log
(``$MLOPS_HOME/notifications/training.jsonl``) and then to a reconstruction from the registry:
a version that holds or held ``champion`` was promoted, any other was refused, and the reason
compares the logged holdout metric of the version with that of the champion it faced
(labelled "inferred").

Drift alerts come from the drift checks' JSON summaries (``drift_<model>.json`` under the
reports folder, one per run of the drift DAG), so the report shows which alerts preceded a
retraining run.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from mlops_common.jsonl import read_json_lines

DECISION_COLUMNS = ["at", "model", "version", "run_id", "decision", "reason", "source"]
ALERT_COLUMNS = ["at", "model", "flagged", "why", "retraining_run", "summary_file"]


def champion_at(history: pd.DataFrame, moment: pd.Timestamp) -> int | None:
    """The version holding ``champion`` at ``moment`` (``alias_history`` rows), if any."""
    before = history[history["promoted_at"] <= moment]
    return None if before.empty else int(before.iloc[-1]["version"])


def _notification_records(path: Path | None, model: str) -> pd.DataFrame:
    if path is None or not path.is_file():
        return pd.DataFrame(columns=["at", "model", "promoted", "reason"])
    records = read_json_lines(path)
    frame = pd.DataFrame(records, columns=["at", "model", "promoted", "reason"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
    return frame[frame["model"] == model].sort_values("at")


def _inferred_reason(
    promoted: bool,
    version: int,
    champion: int | None,
    metrics: dict[int, float],
    metric: str,
    margin: float,
) -> str:
    if champion is None or champion == version:
        return "no champion before it" if promoted else "no decision recorded"
    mine, theirs = metrics.get(version), metrics.get(champion)
    if mine is None or theirs is None:
        return f"{'replaced' if promoted else 'did not replace'} champion v{champion}"
    sign = ">=" if mine >= theirs + margin else "<"
    return (
        f"logged {metric} {mine:.4f} {sign} champion v{champion} {theirs:.4f} + margin {margin} "
        "(inferred: the gate re-scores both on the current holdout)"
    )


def _not_promoted(gate: dict) -> str:
    """``refused``, or ``in shadow`` (``flagged``) for an offline winner under the shadow policy."""
    if gate.get("policy") != "shadow":
        return "refused"
    return "in shadow (flagged)" if gate.get("shadow_verdict") == "reject" else "in shadow"


def promotion_decisions(
    model: str,
    versions: pd.DataFrame,
    history: pd.DataFrame,
    version_metrics: dict[int, float],
    start: datetime,
    end: datetime,
    *,
    metric: str = "roc_auc",
    margin: float = 0.001,
    notifications: Path | None = None,
) -> pd.DataFrame:
    """One row per version registered in ``[start, end)``: promoted or refused, and why.

    ``history`` is ``alias_history(versions, "champion")``; ``version_metrics`` the logged
    ``metric`` per version (from its training run).
    """
    records = _notification_records(notifications, model)
    # When each version became champion: the decision that counts for a promoted version.
    promoted_at = dict(zip(history["version"].astype(int), history["promoted_at"], strict=True))
    rows = []
    ordered = versions.sort_values("created").reset_index(drop=True)
    for i, row in ordered.iterrows():
        created, version = row["created"], int(row["version"])
        moment = promoted_at.get(version, created)
        if not (pd.Timestamp(start) <= moment < pd.Timestamp(end)):
            continue
        # The gate runs after registration and before the next version is registered.
        last = i + 1 == len(ordered)
        following = created + timedelta(days=1) if last else ordered["created"].iloc[i + 1]
        logged = records[(records["at"] >= created) & (records["at"] < following)]
        gate = row.get("gate") if isinstance(row.get("gate"), dict) else {}
        if gate.get("promoted") in ("true", "false"):
            promoted = gate["promoted"] == "true"
            reason = f"{gate.get('reason', '')}; compared on {gate.get('window', '?')}"
            reason += f" ({gate.get('rows', '?')} rows, {gate.get('positives', '?')} positive)"
            if gate.get("previous_champion") not in (None, "", "none"):
                reason += f"; champion before: v{gate['previous_champion']}"
            source = "promotion gate"
            at = pd.Timestamp(gate.get("decided_at") or moment)
            if gate.get("evidence") == "shadow":  # shadow_promotion.py: promoted on live evidence
                reason = f"{gate.get('reason', '')}; won offline first on {gate.get('window', '?')}"
                reason += f"; champion before: v{gate.get('previous_champion', '?')}"
                source = "shadow evidence"
            elif gate.get("policy") == "shadow" and not promoted:  # won offline, waits in shadow
                source = "promotion gate, then shadow"
                if gate.get("shadow_reason"):
                    reason += f"; last shadow check: {gate['shadow_reason']}"
        elif not logged.empty:
            record = logged.iloc[-1]
            promoted, reason, source = bool(record["promoted"]), record["reason"], "training DAG"
            at = record["at"]
        else:
            promoted = version in promoted_at
            previous = champion_at(history, moment - timedelta(microseconds=1))
            reason = _inferred_reason(promoted, version, previous, version_metrics, metric, margin)
            source, at = "registry", moment
        rows.append(
            {
                "at": at,
                "model": model,
                "version": version,
                "run_id": row["run_id"],
                "decision": "promoted" if promoted else _not_promoted(gate),
                "reason": reason,
                "source": source,
            }
        )
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


def drift_alerts(
    reports_dir: Path | None, start: datetime, end: datetime, runs: pd.DataFrame
) -> pd.DataFrame:
    """Drift checks in ``[start, end)`` that raised an alert, with the training run (if any)
    that started within a day after them for the same model."""
    if reports_dir is None or not reports_dir.is_dir():
        return pd.DataFrame(columns=ALERT_COLUMNS)
    rows = []
    for path in sorted(reports_dir.rglob("drift_*.json")):
        try:
            summary = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # a half-written or foreign file is no alert
        if not isinstance(summary, dict) or not summary.get("alert"):
            continue
        at = pd.Timestamp(summary.get("generated_at"))
        at = at.tz_localize("UTC") if at.tzinfo is None else at
        if not (pd.Timestamp(start) <= at < pd.Timestamp(end)):
            continue
        flagged = [f for f in summary.get("features", []) if f.get("status") == "drift"]
        why = [f"{f['feature']}: {f.get('reason', f.get('statistic', ''))}" for f in flagged]
        if summary.get("prediction_drifted"):
            why.append(f"scores: {summary['prediction'].get('reason', '')}")
        model = summary.get("model", "")
        retraining = ""
        if not runs.empty:
            after = runs[(runs["model"] == model) & (runs["start_time"] >= at)
                         & (runs["start_time"] < at + timedelta(days=1))]  # fmt: skip
            retraining = "" if after.empty else str(after.iloc[0]["run_name"])
        rows.append(
            {
                "at": at,
                "model": model,
                "flagged": ", ".join(f["feature"] for f in flagged) or "scores only",
                "why": "; ".join(why)[:600],
                "retraining_run": retraining or "none within a day",
                "summary_file": str(path.relative_to(reports_dir)),
            }
        )
    return pd.DataFrame(rows, columns=ALERT_COLUMNS).sort_values("at").reset_index(drop=True)
