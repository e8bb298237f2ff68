"""The whole platform end to end on the current profile, with progress and a summary.

Every stage prints ``[n/N] what`` before it starts and its duration after, so a newcomer
sees where the minutes go; a failing stage stops the run with the component's last output
lines, and re-running the quickstart converges (every step is idempotent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mlops_platform_cli import steps
from mlops_platform_cli.settings import CliSettings


@dataclass
class Stage:
    title: str
    action: Callable[[], dict]
    result: dict = field(default_factory=dict)
    seconds: float = 0.0


def _indent(line: str) -> None:
    print(f"    {line}", flush=True)


def stages(settings: CliSettings) -> list[Stage]:
    s = settings
    return [
        Stage("generate raw data", lambda: steps.generate_data(s, log=_indent)),
        Stage("dbt + Spark transformations", lambda: steps.features(s, "transform", log=_indent)),
        Stage("feast apply", lambda: steps.features(s, "apply", log=_indent)),
        Stage("feast materialize", lambda: steps.features(s, "materialize", log=_indent)),
        Stage("label tables", lambda: steps.features(s, "labels", log=_indent)),
        Stage("train + promote fraud (XGBoost)", lambda: steps.train(s, "fraud", log=_indent)),
        Stage("train + promote churn (LightGBM)", lambda: steps.train(s, "churn", log=_indent)),
        Stage("batch scoring fraud", lambda: steps.batch_score(s, "fraud", log=_indent)),
        Stage("batch scoring churn", lambda: steps.batch_score(s, "churn", log=_indent)),
        Stage("monthly retraining report", lambda: steps.retraining_report(s, log=_indent)),
    ]


def run_quickstart(settings: CliSettings) -> int:
    plan = stages(settings)
    print(f"mlops quickstart: profile={settings.platform.profile.value} home={settings.home}")
    started = time.monotonic()
    for number, stage in enumerate(plan, 1):
        print(f"[{number}/{len(plan)}] {stage.title} ...", flush=True)
        t0 = time.monotonic()
        stage.result = stage.action()
        stage.seconds = time.monotonic() - t0
        print(f"[{number}/{len(plan)}] {stage.title}: done in {stage.seconds:.1f}s", flush=True)
    print(f"\nquickstart finished in {time.monotonic() - started:.0f}s")
    for stage in plan:
        print(f"  {stage.title:<36} {stage.seconds:7.1f}s")
    print(f"\nstate: {settings.home}\nreports: {settings.reports_dir}")
    return 0
