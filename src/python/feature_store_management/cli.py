"""``feature-store-cli``: raw data -> transformations -> Feast, one subcommand per step.

    feature-store-cli data [--users N --transactions N --seed S --days D --as-of ISO]
    feature-store-cli load --table transactions --file raw.parquet
    feature-store-cli transform [--skip-dbt --skip-spark --skip-etl --master URL]
    feature-store-cli render         # feature_store.yaml only, for `feast plan` (README)
    feature-store-cli apply
    feature-store-cli labels         # label tables for the trainers (after transform)
    feature-store-cli materialize [--end ISO]
    feature-store-cli entities --use-case U --start ISO --end ISO --output F
    feature-store-cli training-set --use-case U --output F
    feature-store-cli stream [--stream NAME --group G --kafka-bootstrap HOST:PORT]
    feature-store-cli skew --decisions F --model NAME [--textfile F]  # train/serve skew
    feature-store-cli all            # data, transform, labels, apply, materialize in order

The profile comes from ``MLOPS_PROFILE`` (embedded|servers) and state from ``MLOPS_HOME``;
after ``apply`` a ready Feast repository is at ``$MLOPS_HOME/feature_repo``. Progress lines
go to stderr and stdout is one JSON object per run (the step's counts and the paths it wrote,
e.g. ``{"command": "entities", "rows": 42, "output": "..."}``); exit 0 ok, 1 a failed step
(one line saying what to fix), 2 bad arguments (mlops_common.cli_contract).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from feature_store_management.settings import FeatureStoreSettings
from mlops_common.cli_contract import run_cli
from mlops_common.progress import Progress

Summary = dict[str, Any]


def _settings(args: argparse.Namespace) -> FeatureStoreSettings:
    # Each field has its own type and pydantic validates them: the values are Any here.
    overrides: dict[str, Any] = {}
    for key in ("n_users", "n_transactions", "seed", "days", "as_of"):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    return FeatureStoreSettings(**overrides)


def cmd_data(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management.data_generation.generator import generate
    from feature_store_management.data_generation.raw_store import load_raw

    progress = Progress("data")
    tables = generate(
        settings.n_users, settings.n_transactions, settings.as_of, settings.days, settings.seed
    )
    rows = {name: load_raw(settings, name, frame) for name, frame in tables.items()}
    progress.finish(f"profile={settings.profile.value}")
    return {"rows": rows, "profile": settings.profile.value}


def cmd_load(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management.data_generation.raw_store import load_raw_file

    rows = load_raw_file(settings, args.table, Path(args.file))
    return {"table": args.table, "rows": rows, "file": args.file}


def cmd_transform(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    done: Summary = {}
    if not args.skip_dbt:
        from feature_store_management.data_transformation_pipelines.dbt_runner import run_dbt

        run_dbt(settings)
        done["dbt"] = "ok"
    if not args.skip_spark:
        from feature_store_management.data_transformation_pipelines.spark import (
            transaction_aggregates,
        )

        done["user_transaction_aggregates"] = transaction_aggregates.run(settings, args.master)
    if not args.skip_etl:
        from feature_store_management.data_transformation_pipelines.etl import (
            clean_user_demographics,
        )

        done.update(clean_user_demographics.run(settings))
    return {"rows": done}


def cmd_labels(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management import labels

    rows = labels.run(settings)
    return {"rows": rows, "dir": str(settings.home / "labels")}


def cmd_entities(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management.labels import write_entity_rows

    rows = write_entity_rows(settings, args.use_case, args.start, args.end, Path(args.output))
    return {"rows": rows, "output": args.output}


def cmd_training_set(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management.feature_repo.retrieval import write_training_set

    rows = write_training_set(settings, args.use_case, Path(args.output))
    return {"rows": rows, "output": args.output}


def cmd_stream(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    """Drain the transaction stream into the online store once (until idle); see streaming/."""
    from feature_store_management.data_generation.raw_store import read_raw
    from feature_store_management.data_source_connectors.stream_consumers import (
        KafkaStreamSource,
        RedisStreamSource,
    )
    from feature_store_management.feature_repo.store import feature_store
    from feature_store_management.recent_transactions import RecentTransactionsWriter
    from feature_store_management.streaming.push_transaction_aggregates import (
        TransactionAggregator,
        run,
    )

    aggregator = TransactionAggregator(read_raw(settings, "transactions"))
    source = (
        KafkaStreamSource(args.kafka_bootstrap, args.stream, args.group)
        if args.kafka_bootstrap
        else RedisStreamSource(settings.platform.redis_url, args.stream, args.group)
    )
    recent = RecentTransactionsWriter(settings)
    try:
        pushed = run(
            feature_store(settings), source, aggregator, block_ms=args.block_ms, recent=recent
        )
    finally:
        source.close()
        recent.close()
    return {"pushed": pushed, "stream": args.stream}


def cmd_apply(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management.feature_repo.store import apply

    apply(settings)
    return {"repo": str(settings.repo_dir), "project": settings.project}


def cmd_render(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management.feature_repo.render import render_repo

    repo = render_repo(settings)
    return {"config": str(repo / "feature_store.yaml"), "project": settings.project}


def cmd_materialize(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    from feature_store_management.feature_repo.store import materialize_incremental

    materialize_incremental(settings, args.end)
    return {"repo": str(settings.repo_dir)}


def cmd_skew(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    """Served decisions vs features recomputed from the raw data (the skew report)."""
    from feature_store_management.data_generation.raw_store import read_raw
    from feature_store_management.skew_check import check, write_textfile

    payload = json.loads(Path(args.decisions).read_text())
    decisions = payload["decisions"] if isinstance(payload, dict) else payload
    report = check(args.model, decisions, read_raw(settings, "transactions"))
    if args.textfile:
        write_textfile(Path(args.textfile), report)
    summary: Summary = json.loads(report.to_json())
    return {**summary, "textfile": args.textfile}


def cmd_all(settings: FeatureStoreSettings, args: argparse.Namespace) -> Summary:
    steps = (cmd_data, cmd_transform, cmd_labels, cmd_apply, cmd_materialize)
    return {step.__name__.removeprefix("cmd_"): step(settings, args) for step in steps}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feature-store-cli", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
        return p

    for p in (add("data", cmd_data, "generate seeded raw data"), add("all", cmd_all, "every step")):
        p.add_argument("--users", dest="n_users", type=int)
        p.add_argument("--transactions", dest="n_transactions", type=int)
        p.add_argument("--seed", type=int)
        p.add_argument("--days", type=int)
        p.add_argument("--as-of", dest="as_of", type=datetime.fromisoformat)
    load = add("load", cmd_load, "validate and load a raw parquet/CSV file")
    load.add_argument("--table", required=True, choices=["transactions", "customers"])
    load.add_argument("--file", required=True)
    for p in (
        add("transform", cmd_transform, "dbt run+test, Spark job, Python ETL"),
        sub.choices["all"],
    ):
        p.add_argument("--skip-dbt", action="store_true")
        p.add_argument("--skip-spark", action="store_true")
        p.add_argument("--skip-etl", action="store_true")
        p.add_argument("--master", default=None, help="Spark master (default local[1])")
    add("labels", cmd_labels, "label tables for the trainers from the raw data")
    entities = add("entities", cmd_entities, "entity rows of one interval for batch scoring")
    entities.add_argument(
        "--use-case", required=True, choices=["fraud_detection", "customer_churn"]
    )
    entities.add_argument("--start", required=True, type=datetime.fromisoformat)
    entities.add_argument("--end", required=True, type=datetime.fromisoformat)
    entities.add_argument("--output", required=True)
    training = add("training-set", cmd_training_set, "point-in-time training frame of the labels")
    training.add_argument(
        "--use-case", required=True, choices=["fraud_detection", "customer_churn"]
    )
    training.add_argument("--output", required=True)
    stream = add("stream", cmd_stream, "push fresh aggregates of streamed transactions online")
    stream.add_argument("--stream", default="transactions", help="Redis stream / Kafka topic")
    stream.add_argument("--group", default="feature-store", help="consumer group")
    stream.add_argument("--kafka-bootstrap", default=None, help="use Kafka instead of Redis")
    stream.add_argument("--block-ms", type=int, default=1000, help="idle time that ends a run")
    skew = add("skew", cmd_skew, "served decisions vs offline features (train/serve skew)")
    skew.add_argument("--decisions", required=True, help="JSON from GET /admin/decisions")
    skew.add_argument("--model", required=True, help="registered model name (metric label)")
    skew.add_argument("--textfile", default=None, help="write Prometheus gauges here")
    add("render", cmd_render, "write feature_store.yaml only (for `feast plan`, see README)")
    add("apply", cmd_apply, "render feature_store.yaml and register definitions")
    for p in (
        add("materialize", cmd_materialize, "incremental load into the online store"),
        sub.choices["all"],
    ):
        p.add_argument("--end", type=datetime.fromisoformat, default=None)
    return parser


def run(args: argparse.Namespace) -> Summary:
    summary: Summary = args.func(_settings(args), args)
    return {"command": args.command, **summary}


def main(argv: list[str] | None = None) -> int:
    # Every failure of a step (bad file, dbt test, Spark, Feast) is reported as one line that
    # names it; the step's own log lines above say where.
    return run_cli(build_parser(), run, argv, user_errors=(Exception,))


if __name__ == "__main__":
    sys.exit(main())
