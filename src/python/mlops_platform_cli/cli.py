"""``mlops``: one command per platform step, and ``quickstart`` for all of them.

    mlops data                         seeded synthetic customers and transactions
    mlops features transform|apply|materialize|labels
    mlops train fraud|churn [--no-promote]
    mlops promote fraud|churn
    mlops batch-score fraud|churn [--entities PATH] [--partition-date YYYY-MM-DD]
    mlops drift fraud|churn --reference PATH --current PATH
    mlops report [--month YYYY-MM]
    mlops serve | score | stop        the fraud and churn APIs (and MLflow server, servers profile)
    mlops quickstart                   the whole flow end to end, with a summary

Progress goes to stderr and stdout is one JSON object (what the step did, with the paths it
wrote), so ``mlops <step> | jq .`` works; exit 0 ok, 1 error, 2 usage, 3 flagged (drift).
The same subcommands are what the Airflow DAGs and the Ansible roles run (through the
component PEXes), so there is one way to do each thing. ``MLOPS_PROFILE=servers`` switches
every step from embedded files to PostgreSQL, Redis and an MLflow server.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from mlops_common.cli_contract import CONTRACT_HELP, run_cli
from mlops_common.pex_runner import PexTaskError
from mlops_platform_cli import steps
from mlops_platform_cli.service_processes import ServiceStartError
from mlops_platform_cli.settings import CliSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlops", description=__doc__.splitlines()[0], epilog=CONTRACT_HELP
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("data", help="generate seeded raw data")
    feats = sub.add_parser("features", help="feature store steps")
    feats.add_argument("action", choices=["transform", "apply", "materialize", "labels"])
    train = sub.add_parser("train", help="train, export to ONNX, register (and promote)")
    train.add_argument("model", choices=sorted(steps.MODELS))
    train.add_argument("--no-promote", action="store_true")
    prom = sub.add_parser("promote", help="challenger vs champion gate")
    prom.add_argument("model", choices=sorted(steps.MODELS))
    batch = sub.add_parser("batch-score", help="score entity rows with the champion")
    batch.add_argument("model", choices=sorted(steps.MODELS))
    batch.add_argument("--entities", type=Path)
    batch.add_argument(
        "--partition-date",
        type=date.fromisoformat,
        help="YYYY-MM-DD: on the servers profile also replace that day's rows in PostgreSQL",
    )
    drift = sub.add_parser("drift", help="drift check and HTML report")
    drift.add_argument("model", choices=sorted(steps.MODELS))
    drift.add_argument("--reference", type=Path, required=True)
    drift.add_argument("--current", type=Path, required=True)
    report = sub.add_parser("report", help="monthly retraining report")
    report.add_argument("--month")
    sub.add_parser("serve", help="start the model APIs and wait until they are ready")
    sub.add_parser("score", help="score sample requests through the running APIs")
    sub.add_parser("stop", help="stop the services started by serve/quickstart")
    sub.add_parser("quickstart", help="the whole flow end to end on the current profile")
    return parser


def run(args: argparse.Namespace) -> dict:
    settings = CliSettings()
    if args.command == "quickstart":
        from mlops_platform_cli.quickstart import run_quickstart

        return run_quickstart(settings)
    if args.command == "data":
        return steps.generate_data(settings)
    if args.command == "features":
        return steps.features(settings, args.action)
    if args.command == "train":
        return steps.train(settings, args.model, promote=not args.no_promote)
    if args.command == "promote":
        return steps.promote(settings, args.model)
    if args.command == "batch-score":
        return steps.batch_score(
            settings, args.model, args.entities, partition_date=args.partition_date
        )
    if args.command == "serve":
        return steps.serve(settings)
    if args.command == "score":
        return steps.score_samples(settings)
    if args.command == "stop":
        return steps.stop(settings)
    if args.command == "drift":
        return steps.drift(settings, args.model, args.reference, args.current)
    return steps.retraining_report(settings, args.month)


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        _parser(),
        run,
        argv,
        user_errors=(ValidationError, PexTaskError, ServiceStartError, RuntimeError),
    )


if __name__ == "__main__":
    sys.exit(main())
