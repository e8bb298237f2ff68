"""generate_monthly_model_retraining_report: what was trained, how it scored, what got promoted.

Queries MLflow for the month's runs (every experiment), the registered model's versions and
its champion history, and renders one HTML file with plots (metrics over time per model, run
durations, champion timeline). Runs through ``monitoring-cli retraining-report``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from mlflow.tracking import MlflowClient

from ml_reporting_monitoring.reports.html import Section, render_html
from ml_reporting_monitoring.reports.mlflow_queries import (
    alias_history,
    model_versions,
    month_bounds,
    runs_between,
)
from mlops_common.progress import track


def _metric_plot(runs: pd.DataFrame, metric: str) -> plt.Figure:
    figure, axis = plt.subplots(figsize=(7, 3))
    for name, group in runs.groupby(runs["model"].replace("", "(untagged)")):
        group = group.dropna(subset=[metric])
        axis.plot(group["start_time"], group[metric], marker="o", label=str(name))
    axis.set_title(metric.removeprefix("metric."))
    axis.legend(fontsize="small")
    figure.autofmt_xdate()
    return figure


def generate_monthly_retraining_report(
    client: MlflowClient,
    month: str,
    model_names: list[str],
    path: Path,
    metrics: list[str] | None = None,
) -> Path:
    """Write the report for ``month`` (``YYYY-MM``) to ``path``; returns the path."""
    start, end = month_bounds(month)
    runs = runs_between(client, start, end)
    intro = [f"Period {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC); {len(runs)} training runs."]
    sections = []

    overview = Section("Training runs")
    if runs.empty:
        overview.paragraphs.append("No runs were logged in this period.")
    else:
        metric_columns = [c for c in runs.columns if c.startswith("metric.")]
        if metrics:
            metric_columns = [f"metric.{m}" for m in metrics if f"metric.{m}" in runs.columns]
        status = runs.groupby(["experiment", "status"]).size().rename("runs").reset_index()
        overview.add_table(status)
        shown = ["run_name", "experiment", "model", "status", "start_time", *metric_columns]
        overview.add_table(runs[shown])
        for metric in track(metric_columns, label="retraining-report plots"):
            overview.add_figure(_metric_plot(runs, metric))
        durations = (runs["end_time"] - runs["start_time"]).dt.total_seconds().dropna()
        if not durations.empty:
            figure, axis = plt.subplots(figsize=(7, 2.5))
            axis.hist(durations / 60.0, bins=20)
            axis.set_xlabel("run duration (minutes)")
            overview.add_figure(figure)
    sections.append(overview)

    for name in model_names:
        section = Section(f"Registered model {name}")
        versions = model_versions(client, name)
        if versions.empty:
            section.paragraphs.append("No versions registered.")
            sections.append(section)
            continue
        in_month = versions[(versions["created"] >= start) & (versions["created"] < end)]
        section.paragraphs.append(
            f"{len(versions)} versions in total, {len(in_month)} registered this month."
        )
        section.add_table(versions.drop(columns=["promotions"]))
        history = alias_history(versions, "champion")
        section.paragraphs.append("Champion history:")
        section.add_table(history)
        if not history.empty:
            figure, axis = plt.subplots(figsize=(7, 2.5))
            axis.step(history["promoted_at"], history["version"], where="post", marker="o")
            axis.set_ylabel("champion version")
            figure.autofmt_xdate()
            section.add_figure(figure)
        sections.append(section)
    return render_html(path, f"Model retraining report {month}", sections, intro)
