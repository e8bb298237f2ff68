"""db_query_for_reports: the MLflow questions the reports ask, as DataFrames.

Everything goes through ``MlflowClient`` so the same code works against the embedded SQLite
store and the MLflow server. MLflow keeps only the *current* alias assignment, so promotion
history is read from model-version tags ``promotion.<alias>`` (ISO time of the promotion) that
the promotion step writes next to the alias; without them the report shows current aliases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from mlflow.tracking import MlflowClient

PROMOTION_TAG_PREFIX = "promotion."


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def runs_between(client: MlflowClient, start: datetime, end: datetime) -> pd.DataFrame:
    """Runs started in ``[start, end)`` in every active experiment, one row per run.

    Columns: run_id, run_name, experiment, status, start_time, end_time, model (tag
    ``registered_model_name`` or ``mlflow.runName``), and ``metric.<name>`` / ``param.<name>``.
    """
    experiments = {e.experiment_id: e.name for e in client.search_experiments()}
    if not experiments:
        return pd.DataFrame()
    filter_string = f"attributes.start_time >= {_ms(start)} and attributes.start_time < {_ms(end)}"
    rows = []
    page_token = None
    while True:
        page = client.search_runs(
            list(experiments),
            filter_string=filter_string,
            order_by=["attributes.start_time ASC"],
            max_results=1000,
            page_token=page_token,
        )
        for run in page:
            info, data = run.info, run.data
            row = {
                "run_id": info.run_id,
                "run_name": info.run_name,
                "experiment": experiments.get(info.experiment_id, info.experiment_id),
                "status": info.status,
                "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True),
                "end_time": (
                    pd.to_datetime(info.end_time, unit="ms", utc=True) if info.end_time else pd.NaT
                ),
                "model": data.tags.get("registered_model_name", ""),
            }
            row.update({f"metric.{k}": v for k, v in data.metrics.items()})
            row.update({f"param.{k}": v for k, v in data.params.items()})
            rows.append(row)
        page_token = page.token
        if not page_token:
            break
    return pd.DataFrame(rows)


GATE_TAG_PREFIX = "promotion_"  # promotion_reason, promotion_window, promotion_decided_at...


def model_versions(client: MlflowClient, model_name: str) -> pd.DataFrame:
    """Every version of ``model_name``: version, run_id, created, aliases, promotion tags."""
    rows = []
    # search_model_versions leaves ``aliases`` empty; the registered model holds them.
    holders: dict[str, list[str]] = {}
    if client.search_registered_models(f"name='{model_name}'"):
        for alias, number in client.get_registered_model(model_name).aliases.items():
            holders.setdefault(str(number), []).append(alias)
    for version in client.search_model_versions(f"name='{model_name}'"):
        promotions = {
            key[len(PROMOTION_TAG_PREFIX) :]: value
            for key, value in version.tags.items()
            if key.startswith(PROMOTION_TAG_PREFIX)
        }
        rows.append(
            {
                "version": int(version.version),
                "run_id": version.run_id,
                "created": pd.to_datetime(version.creation_timestamp, unit="ms", utc=True),
                "aliases": ",".join(sorted(holders.get(str(version.version), []))),
                "promotions": promotions,
                # The promotion gate's own record (trainer: promotion_* version tags).
                "gate": {
                    key[len(GATE_TAG_PREFIX) :]: value
                    for key, value in version.tags.items()
                    if key.startswith(GATE_TAG_PREFIX)
                },
            }
        )
    if not rows:
        return pd.DataFrame(
            columns=["version", "run_id", "created", "aliases", "promotions", "gate"]
        )
    return pd.DataFrame(rows).sort_values("version").reset_index(drop=True)


def alias_history(versions: pd.DataFrame, alias: str = "champion") -> pd.DataFrame:
    """When each version became ``alias``: from promotion tags, else the current holder."""
    events = [
        {"version": row.version, "promoted_at": pd.to_datetime(row.promotions[alias], utc=True)}
        for row in versions.itertuples()
        if alias in row.promotions
    ]
    if not events:
        events = [
            {"version": row.version, "promoted_at": row.created}
            for row in versions.itertuples()
            if alias in row.aliases.split(",")
        ]
    history = pd.DataFrame(events, columns=["version", "promoted_at"])
    history = history.sort_values("promoted_at").reset_index(drop=True)
    history["until"] = history["promoted_at"].shift(-1)
    current = {row.version for row in versions.itertuples() if alias in row.aliases.split(",")}
    history["current"] = history["version"].isin(current)
    return history


def run_metrics(client: MlflowClient, run_ids: list[str]) -> dict[str, dict[str, float]]:
    """Logged metrics of each run (e.g. the champion's training run, outside the period)."""
    metrics = {}
    for run_id in dict.fromkeys(r for r in run_ids if r):
        try:
            metrics[run_id] = dict(client.get_run(run_id).data.metrics)
        except Exception:  # a deleted run must not sink the report
            metrics[run_id] = {}
    return metrics


def last_days_bounds(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The ``days`` days up to ``now`` (UTC): the default period of an ad-hoc report, so that
    it covers what was just trained (the previous calendar month may hold nothing yet)."""
    end = (now or datetime.now(UTC)).astimezone(UTC)
    return end - timedelta(days=days), end


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"2026-01"`` -> (2026-01-01, 2026-02-01), both UTC."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end
