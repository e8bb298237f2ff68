"""The whole platform end to end on the current profile, with progress and a summary.

Every stage prints ``[n/N] what`` before it starts and its duration after, so a newcomer
sees where the minutes go; a failing stage stops the run with the component's last output
lines, and re-running the quickstart converges (every step is idempotent: seeded data,
convergent Feast apply/materialize, promotion only when a challenger wins, atomic outputs).
The model APIs (and, for the servers profile, the MLflow server) keep running afterwards;
``mlops stop`` stops them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mlops_common.cli_contract import eprint
from mlops_common.settings import Profile
from mlops_platform_cli import steps
from mlops_platform_cli.settings import CliSettings


@dataclass
class Stage:
    title: str
    action: Callable[[], dict]
    result: dict = field(default_factory=dict)
    seconds: float = 0.0


def _indent(line: str) -> None:
    eprint(f"    {line}")


def _batch_and_drift(s: CliSettings, model: str) -> dict:
    """Reference = the champion's scores on its training rows; current = the last week."""
    use_case = steps.MODELS[model]
    reference = s.home / "monitoring" / "reference" / f"{use_case}.parquet"
    steps.batch_score(s, model, output=reference, log=_indent)
    end = datetime.now(UTC)
    entities = steps.export_entities(s, model, end - timedelta(days=7), end, log=_indent)
    scored = steps.batch_score(s, model, entities=entities, log=_indent, partition_date=end.date())
    drift = steps.drift(s, model, reference, steps.batch_output_path(s, model), log=_indent)
    return {"batch": scored, "drift": drift}


def _train(s: CliSettings, model: str, trained_at: list[datetime]) -> dict:
    trained_at.append(datetime.now(UTC))
    return steps.train(s, model, log=_indent)


def _report_of_the_runs(s: CliSettings, trained_at: list[datetime]) -> dict:
    """The calendar month that holds this quickstart's training runs (the month the first
    one started in), not the last days: the same kind of report the monthly DAG writes."""
    month = (trained_at[0] if trained_at else datetime.now(UTC)).strftime("%Y-%m")
    return steps.retraining_report(s, month, log=_indent)


def stages(s: CliSettings) -> list[Stage]:
    trained_at: list[datetime] = []
    plan = [
        Stage("generate raw data", lambda: steps.generate_data(s, log=_indent)),
        Stage("dbt + Spark + ETL transformations", lambda: steps.features(s, "transform", _indent)),
        Stage("label tables", lambda: steps.features(s, "labels", log=_indent)),
        Stage("feast apply", lambda: steps.features(s, "apply", log=_indent)),
        Stage(
            "feast materialize (online store)", lambda: steps.features(s, "materialize", _indent)
        ),
    ]
    if s.platform.profile == Profile.SERVERS:
        plan.append(Stage("MLflow server", lambda: steps.start_mlflow_server(s, log=_indent)))
    plan += [
        Stage("train + gate fraud (XGBoost -> ONNX)", lambda: _train(s, "fraud", trained_at)),
        Stage("train + gate churn (LightGBM -> ONNX)", lambda: _train(s, "churn", trained_at)),
        Stage("start fraud and churn APIs", lambda: steps.serve(s, log=_indent)),
        Stage("score sample requests", lambda: steps.score_samples(s, log=_indent)),
        Stage("batch scoring + drift, fraud", lambda: _batch_and_drift(s, "fraud")),
        Stage("batch scoring + drift, churn", lambda: _batch_and_drift(s, "churn")),
        Stage("monthly retraining report", lambda: _report_of_the_runs(s, trained_at)),
    ]
    return plan


def summary(s: CliSettings, plan: list[Stage], seconds: float) -> str:
    tracking = s.platform.resolved_mlflow_tracking_uri()
    trainer = steps.pex_path(s, "trainer")
    if tracking.startswith("sqlite"):
        ui = f"PEX_SCRIPT=mlflow python3.11 {trainer} ui --backend-store-uri {tracking}"
    else:
        ui = f"open {tracking}"
    lines = [f"\nquickstart finished in {seconds:.0f}s (profile {s.platform.profile.value})"]
    lines += [f"  {stage.title:<40} {stage.seconds:7.1f}s" for stage in plan]
    lines += [
        "",
        f"fraud API     http://127.0.0.1:{s.fraud_port}/docs   (x-api-key: {s.api_key})",
        f"churn API     http://127.0.0.1:{s.churn_port}/docs",
        f"metrics       http://127.0.0.1:{s.fraud_port}/metrics",
        f"MLflow        {ui}",
        f"predictions   {s.home / 'predictions'}",
        f"reports       {s.reports_dir} (drift_*.html, retraining report)",
        f"state         {s.home}",
        "stop services python3.11 dist/src.python.mlops_platform_cli/mlops.pex stop",
    ]
    return "\n".join(lines)


def run_quickstart(settings: CliSettings) -> dict:
    """Run every stage (progress and the human summary on stderr); return the JSON result."""
    plan = stages(settings)
    eprint(f"mlops quickstart: profile={settings.platform.profile.value} home={settings.home}")
    started = time.monotonic()
    for number, stage in enumerate(plan, 1):
        eprint(f"[{number}/{len(plan)}] {stage.title} ...")
        t0 = time.monotonic()
        stage.result = stage.action()
        stage.seconds = time.monotonic() - t0
        eprint(f"[{number}/{len(plan)}] {stage.title}: done in {stage.seconds:.1f}s")
    seconds = time.monotonic() - started
    eprint(summary(settings, plan, seconds))
    return {
        "profile": settings.platform.profile.value,
        "seconds": round(seconds, 1),
        "stages": [
            {"title": st.title, "seconds": round(st.seconds, 1), "result": st.result} for st in plan
        ],
        "apis": {"fraud": f"http://127.0.0.1:{settings.fraud_port}",
                 "churn": f"http://127.0.0.1:{settings.churn_port}"},
        "paths": {"home": str(settings.home), "predictions": str(settings.home / "predictions"),
                  "reports": str(settings.reports_dir)},
    }  # fmt: skip
