"""Training command line (packaged as the ``trainer`` PEX; Airflow and the quickstart run it).

    trainer train fraud|churn [--promote] [--no-register]
    trainer evaluate fraud|churn        (alias: promote)
    trainer promote-challenger fraud|churn [--today YYYY-MM-DD]
    trainer predict-batch fraud|churn --entities PATH --output PATH [--engine auto|native|onnx]
                                      [--runtime auto|single|spark]
                                      [--alias A] [--rules RULES.yaml]
                                      [--partition-date YYYY-MM-DD]

``--runtime spark`` (or ``auto`` from ``TRAINING_SPARK_MIN_ROWS`` rows on) scores on Spark
(``TRAINING_SPARK_MASTER``); it runs from ``batch-scoring-spark.pex``, the same CLI with pyspark.

Progress lines go to stderr; stdout is one JSON object describing the result (run, model
version, metrics, output paths). Settings come from ``TRAINING_*`` / ``MLOPS_*`` environment
variables or ``.env``. Exit codes (mlops_common.cli_contract): 0 ok, 1 error (bad
configuration or data: one line saying what to fix), 2 bad arguments, 3 flagged
(``promote-challenger``: the shadow evidence is complete and rejects the challenger; waiting
for more evidence is exit 0 with ``promoted: false``; see ``shadow_promotion.py``).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from ml_model_development import models
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.data_loading import LabelTableError
from ml_model_development.common_ml_utils.data_schemas.training_data_contract import (
    TrainingDataError,
)
from ml_model_development.common_ml_utils.feature_store_client import FeatureStoreError
from ml_model_development.common_ml_utils.onnx_export import ParityError
from ml_model_development.common_ml_utils.prediction_store import PredictionStoreError
from ml_model_development.common_ml_utils.settings import ConfigError

# Explicit imports so Pants packages every model; discovery below keeps the CLI generic.
from ml_model_development.models.customer_churn_lightgbm import train as _churn  # noqa: F401
from ml_model_development.models.fraud_detection_xgboost import train as _fraud  # noqa: F401
from mlops_common.cli_contract import CONTRACT_HELP, run_cli
from mlops_common.label_engine import RuleFileError
from mlops_common.shadow_log import ShadowLogError

# What the user fixes (settings, data, files, "train and promote first"): one line, exit 1.
USER_ERRORS = (
    RuntimeError,
    ConfigError,
    TrainingDataError,
    LabelTableError,
    FeatureStoreError,
    ParityError,
    RuleFileError,
    PredictionStoreError,
    ShadowLogError,
)


def discover_trainers() -> dict[str, type[BaseModelTrainer]]:
    """``{cli_name: trainer}`` for every ``models/<project>/train.py`` with ``TRAINER``."""
    found: dict[str, type[BaseModelTrainer]] = {}
    for info in pkgutil.iter_modules(models.__path__):
        try:
            module = importlib.import_module(f"{models.__name__}.{info.name}.train")
        except ModuleNotFoundError:
            continue
        trainer = getattr(module, "TRAINER", None)
        if trainer is not None:
            found[trainer.contract.short_name] = trainer
            found[trainer.contract.use_case] = trainer
    return found


def _parser(names: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer", description=__doc__.splitlines()[0], epilog=CONTRACT_HELP
    )
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train, export (parity gate), log and register")
    train.add_argument("model", choices=names)
    train.add_argument("--promote", action="store_true", help="run evaluate/promote after")
    train.add_argument("--no-register", action="store_true", help="log only")
    for name in ("evaluate", "promote"):
        p = sub.add_parser(name, help="challenger vs champion on rows neither was fitted on")
        p.add_argument("model", choices=names)
    shadow = sub.add_parser(
        "promote-challenger",
        help="promote the challenger in shadow if the shadow log holds the evidence",
    )
    shadow.add_argument("model", choices=names)
    shadow.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="YYYY-MM-DD: last UTC day of shadow log read (default today)",
    )
    batch = sub.add_parser("predict-batch", help="score entity rows with the champion")
    batch.add_argument("model", choices=names)
    batch.add_argument("--entities", type=Path, required=True, help="parquet entity rows")
    batch.add_argument("--output", type=Path, required=True, help="parquet to write")
    batch.add_argument("--engine", choices=["auto", "native", "onnx"], default=None)
    batch.add_argument(
        "--runtime",
        choices=["auto", "single", "spark"],
        default=None,
        help="where to score: this process, Spark (batch-scoring-spark PEX), or auto by rows"
        " (default TRAINING_BATCH_RUNTIME)",
    )
    batch.add_argument("--alias", default=None, help="registry alias (default champion)")
    batch.add_argument(
        "--rules", type=Path, default=None, help="Label Engine rules file: add label columns"
    )
    batch.add_argument(
        "--partition-date",
        type=date.fromisoformat,
        default=None,
        help="YYYY-MM-DD: on the servers profile also replace that day's rows in PostgreSQL",
    )
    return parser


def run(args: argparse.Namespace, trainers: dict[str, type[BaseModelTrainer]]) -> dict[str, Any]:
    from ml_model_development.common_ml_utils.batch_scoring import score_batch
    from ml_model_development.common_ml_utils.promotion import evaluate_and_promote
    from ml_model_development.common_ml_utils.settings import load_settings

    cls = trainers[args.model]
    overrides = {"register_model": False} if getattr(args, "no_register", False) else {}
    trainer = cls(settings=load_settings(cls.settings_class, **overrides))
    if args.command == "train":
        result: dict[str, Any] = asdict(trainer.run())
        if args.promote and result["model_version"] is not None:
            result["promotion"] = asdict(evaluate_and_promote(trainer))
        return result
    if args.command in ("evaluate", "promote"):
        return asdict(evaluate_and_promote(trainer))
    if args.command == "promote-challenger":
        from ml_model_development.common_ml_utils.shadow_promotion import promote_challenger

        return asdict(promote_challenger(trainer, args.today))
    scored = score_batch(
        trainer, args.entities, args.output, args.engine, args.alias, args.rules,
        args.partition_date, args.runtime,
    )  # fmt: skip
    return asdict(scored)


def main(argv: list[str] | None = None) -> int:
    trainers = discover_trainers()
    return run_cli(
        _parser(sorted(trainers)), lambda args: run(args, trainers), argv, user_errors=USER_ERRORS
    )


if __name__ == "__main__":
    sys.exit(main())
