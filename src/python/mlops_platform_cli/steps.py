"""One function per platform step; the CLI subcommands and the quickstart call these.

Each step runs a component PEX (see ``components``) and returns a small dict for the final
summary. Steps are idempotent: data generation is seeded, Feast apply/materialize converge,
a retrain registers a new version but promotes only if it beats the champion, and batch
outputs are overwritten atomically by the trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlops_platform_cli.components import run_component
from mlops_platform_cli.settings import CliSettings

MODELS = {"fraud": "fraud_detection", "churn": "customer_churn"}
Log = Callable[[str], None]


def generate_data(settings: CliSettings, log: Log = print) -> dict:
    args = ["data", "--users", str(settings.users), "--transactions", str(settings.transactions)]
    args += ["--days", str(settings.days)]
    _, result = run_component(settings, "features", args, log=log)
    return result


def features(settings: CliSettings, action: str, log: Log = print) -> dict:
    """``transform`` (dbt + Spark + ETL), ``apply``, ``materialize`` or ``labels``."""
    _, result = run_component(settings, "features", [action], log=log)
    return result


def train(settings: CliSettings, model: str, promote: bool = True, log: Log = print) -> dict:
    args = ["train", model] + (["--promote"] if promote else [])
    _, result = run_component(settings, "trainer", args, log=log)
    return result


def promote(settings: CliSettings, model: str, log: Log = print) -> dict:
    _, result = run_component(settings, "trainer", ["promote", model], log=log)
    return result


def labels_path(settings: CliSettings, model: str) -> Path:
    return settings.home / "labels" / f"{MODELS[model]}_labels.parquet"


def batch_output_path(settings: CliSettings, model: str) -> Path:
    return settings.home / "predictions" / MODELS[model] / "quickstart.parquet"


def batch_score(
    settings: CliSettings, model: str, entities: Path | None = None, log: Log = print
) -> dict:
    """Score entity rows (default: the label table's rows) with the champion."""
    entities = entities or labels_path(settings, model)
    output = batch_output_path(settings, model)
    output.parent.mkdir(parents=True, exist_ok=True)
    args = ["predict-batch", model, "--entities", str(entities), "--output", str(output)]
    _, result = run_component(settings, "trainer", args, log=log)
    return result


def drift(
    settings: CliSettings, model: str, reference: Path, current: Path, log: Log = print
) -> dict:
    """Drift of ``current`` vs ``reference``; ``flagged`` is True when monitoring says retrain."""
    registered = {"fraud": "fraud_detection_xgboost", "churn": "customer_churn_lightgbm"}[model]
    args = ["drift", "--reference", str(reference), "--current", str(current)]
    args += ["--model", registered, "--output-dir", str(settings.reports_dir)]
    code, result = run_component(settings, "monitoring", args, ok_codes=(0, 3), log=log)
    result["flagged"] = code == 3
    result["report"] = str(settings.reports_dir / f"drift_{registered}.html")
    return result


def retraining_report(settings: CliSettings, month: str | None = None, log: Log = print) -> dict:
    args = ["retraining-report", "--output-dir", str(settings.reports_dir)]
    if month:
        args += ["--month", month]
    _, result = run_component(settings, "monitoring", args, log=log)
    return result
