"""Retraining report: what was trained in a period, how it scored against the champion, what
got promoted or refused and why, and which drift alerts preceded it.

Reads MLflow (runs of every experiment, the registered models' versions and champion
history), the training DAG's decision log and the drift checks' JSON summaries (see
``retraining_events``). Every time axis spans exactly the reported period, so a single run
is a dot inside the period, not a dot on an axis matplotlib stretched over years.
Runs through ``monitoring-cli retraining-report``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from mlflow.tracking import MlflowClient

from ml_reporting_monitoring.reports.html import Section, render_html
from ml_reporting_monitoring.reports.mlflow_queries import (
    alias_history,
    model_versions,
    month_bounds,
    run_metrics,
    runs_between,
)
from ml_reporting_monitoring.reports.retraining_events import (
    champion_at,
    drift_alerts,
    promotion_decisions,
)
from ml_reporting_monitoring.reports.shadow_evidence import shadow_evidence_table
from mlops_common.progress import track

DECISION_COLORS = {"promoted": "tab:green", "refused": "tab:red", "not registered": "tab:grey"}


def _period_axis(axis: plt.Axes, start: datetime, end: datetime) -> None:
    axis.set_xlim(pd.Timestamp(start), pd.Timestamp(end))
    axis.figure.autofmt_xdate()


def _runs_vs_champion(
    runs: pd.DataFrame, versions: pd.DataFrame, history: pd.DataFrame,
    decisions: pd.DataFrame, champion_metrics: dict[int, dict[str, float]], metric: str,
) -> pd.DataFrame:  # fmt: skip
    """The model's runs with their metric, the champion they faced and the decision."""
    version_of = dict(zip(versions["run_id"], versions["version"], strict=True))
    decision_of = dict(zip(decisions["version"], decisions["decision"], strict=True))
    rows = []
    for run in runs.itertuples(index=False):
        version = version_of.get(run.run_id)
        champion = champion_at(history, run.start_time)
        theirs = champion_metrics.get(champion, {}).get(metric) if champion else None
        mine = getattr(run, f"metric_{metric}", float("nan"))
        rows.append(
            {
                "run": run.run_name,
                "started": run.start_time,
                "status": run.status,
                "version": f"v{version}" if version else "-",
                metric: mine,
                f"champion {metric}": theirs,
                "vs champion": None if pd.isna(mine) or theirs is None else mine - theirs,
                "champion": f"v{champion}" if champion else "none yet",
                "decision": decision_of.get(version, "not registered"),
            }
        )
    return pd.DataFrame(rows)


def _comparison_plot(
    table: pd.DataFrame, history: pd.DataFrame, champion_metrics: dict[int, dict[str, float]],
    metric: str, start: datetime, end: datetime,
) -> plt.Figure:  # fmt: skip
    figure, axis = plt.subplots(figsize=(8, 3.2))
    for decision, group in table.groupby("decision"):
        axis.scatter(group["started"], group[metric], s=50, zorder=3, label=f"run: {decision}",
                     color=DECISION_COLORS.get(decision, "black"))  # fmt: skip
    # The champion's logged metric as a step line across the period.
    steps = [(pd.Timestamp(start), champion_at(history, pd.Timestamp(start)))]
    steps += [(t, int(v)) for t, v in zip(history["promoted_at"], history["version"], strict=True)
              if pd.Timestamp(start) < t < pd.Timestamp(end)]  # fmt: skip
    times = [t for t, _ in steps] + [pd.Timestamp(end)]
    logged = [champion_metrics.get(v, {}).get(metric) if v else None for _, v in steps]
    values = [float("nan") if v is None else v for v in logged]
    axis.step(times, values + values[-1:], where="post", color="black", linestyle="--",
              label="champion")  # fmt: skip
    for (t, version), value in zip(steps, values, strict=True):
        if version:
            axis.annotate(f"v{version}", (t, value), textcoords="offset points", xytext=(4, 4),
                          fontsize="small")  # fmt: skip
    axis.set_ylabel(metric)
    axis.set_title(f"{metric} of each training run vs the champion's")
    axis.legend(fontsize="small", loc="best")
    _period_axis(axis, start, end)
    return figure


def _model_section(
    client: MlflowClient, name: str, runs: pd.DataFrame, start: datetime, end: datetime,
    metric: str, margin: float, notifications: Path | None,
) -> tuple[Section, pd.DataFrame]:  # fmt: skip
    section = Section(f"Model {name}")
    own_runs = runs[runs["model"] == name] if not runs.empty else runs
    versions = model_versions(client, name)
    if versions.empty:
        section.add_text(
            f"{len(own_runs)} training runs, no versions registered."
            if len(own_runs) else "No versions registered and no runs in this period."
        )  # fmt: skip
        return section, pd.DataFrame()
    history = alias_history(versions, "champion")
    logged = run_metrics(client, list(versions["run_id"]))
    by_version = {int(v): logged.get(r, {}) for v, r in zip(versions["version"],
                                                           versions["run_id"], strict=True)}  # fmt: skip
    decisions = promotion_decisions(
        name, versions, history, {v: m[metric] for v, m in by_version.items() if metric in m},
        start, end, metric=metric, margin=margin, notifications=notifications,
    )  # fmt: skip
    current = history[history["current"]]
    champion = int(current.iloc[-1]["version"]) if not current.empty else None
    summary = f"{len(own_runs)} training runs, {len(decisions)} versions registered"
    summary += f" ({(decisions['decision'] == 'promoted').sum()} promoted) in this period; "
    summary += f"champion now: v{champion}" if champion else "no champion now"
    if champion and metric in by_version.get(champion, {}):
        summary += f" ({metric} {by_version[champion][metric]:.4f})"
    section.add_text(summary + ".")
    if not own_runs.empty:
        renamed = own_runs.rename(columns=lambda c: c.replace("metric.", "metric_"))
        table = _runs_vs_champion(renamed, versions, history, decisions, by_version, metric)
        section.add_table(table, row_class="decision")
        if table[metric].notna().any():
            section.add_figure(_comparison_plot(table, history, by_version, metric, start, end))
    section.add_text("Promotion decisions (promoted or refused, and why):" if len(decisions)
                     else "No version was registered in this period.")  # fmt: skip
    if len(decisions):
        section.add_table(decisions.drop(columns=["run_id", "model"]), row_class="decision")
    shadow = shadow_evidence_table(versions)
    if len(shadow):
        section.add_text("Shadow evidence (the challenger scored live requests next to the"
                         " champion; figures from promote-challenger's version tags):")  # fmt: skip
        section.add_table(shadow)
    section.add_text("Champion history:")
    section.add_table(history)
    return section, decisions


def generate_retraining_report(
    client: MlflowClient,
    start: datetime,
    end: datetime,
    model_names: list[str],
    path: Path,
    *,
    title: str | None = None,
    promotion_metric: str = "roc_auc",
    promotion_margin: float = 0.001,
    notifications: Path | None = None,
    reports_dir: Path | None = None,
) -> Path:
    """Write the report for ``[start, end)`` to ``path``; returns the path.

    ``promotion_metric`` / ``promotion_margin`` should match the trainer's settings (its
    defaults are these); they only explain refusals that the decision log does not cover.
    """
    runs = runs_between(client, start, end)
    sections, all_decisions = [], []
    for name in track(model_names, label="retraining-report models"):
        section, decisions = _model_section(client, name, runs, start, end, promotion_metric,
                                            promotion_margin, notifications)  # fmt: skip
        sections.append(section)
        all_decisions.append(decisions)
    alerts = drift_alerts(reports_dir, start, end, runs)
    drift = Section("Drift alerts")
    if alerts.empty:
        drift.add_text(f"No drift alert in this period (drift summaries under "
                                f"{reports_dir or 'no folder given'}).")  # fmt: skip
    else:
        drift.add_text("Drift checks that raised an alert, what they flagged and the "
                                "training run that followed within a day.")  # fmt: skip
        drift.add_table(alerts)
    sections.insert(0, drift)
    overview = Section("All runs in the period")
    if runs.empty:
        overview.add_text("No runs were logged in this period.")
    else:
        status = runs.groupby(["experiment", "status"]).size().rename("runs").reset_index()
        overview.add_table(status)
    sections.append(overview)
    decided = pd.concat([d for d in all_decisions if not d.empty] or [pd.DataFrame()])
    kinds = decided.get("decision", pd.Series(dtype=str))
    promoted = int((kinds == "promoted").sum())
    shadowed = int(kinds.str.startswith("in shadow").sum())  # waiting for shadow evidence
    waiting = f", {shadowed} in shadow" if shadowed else ""
    intro = [
        f"Period {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} (UTC); {len(runs)} training "
        f"runs; {len(decided)} versions registered, {promoted} promoted{waiting}, "
        f"{len(decided) - promoted - shadowed} refused; {len(alerts)} drift alerts."
    ]
    heading = title or f"Model retraining report {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    return render_html(path, heading, sections, intro)


def generate_monthly_retraining_report(
    client: MlflowClient, month: str, model_names: list[str], path: Path, **options
) -> Path:
    """The report for calendar month ``month`` (``YYYY-MM``), as the monthly DAG runs it."""
    start, end = month_bounds(month)
    return generate_retraining_report(
        client, start, end, model_names, path, title=f"Model retraining report {month}",
        **options,
    )  # fmt: skip
