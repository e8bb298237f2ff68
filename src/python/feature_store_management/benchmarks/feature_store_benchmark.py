"""Benchmark (not a test): online lookup latency and offline retrieval time per profile.

For each profile (embedded: SQLite online + file offline store; servers: Redis online +
PostgreSQL offline store) it builds the store from seeded data through the real pipeline
(raw load -> Spark aggregates -> demographics ETL -> ``feast apply`` -> materialization; dbt
is not on the serving path and is skipped), then measures

* online lookups through the Feast SDK (``get_online_features`` of the ``customer_churn_v1``
  service plus the transaction aggregates, i.e. all three stored views), p50/p99 over
  ``--lookups`` calls for 1 and for 100 random entities per call, with the rows returned per
  call and how many of them the store knew (any feature not null);
* **Feast SDK vs the services' own online reader** for one entity per call
  (:mod:`reader_comparison`: the ``customer_churn_v1`` service on both sides, same entity
  ids, values compared exactly; goal: reader p50 ≥ 5x faster). The reader runs as the
  ``online-reader-benchmark`` PEX of the serving resolve, which must be packaged first;
* offline retrieval of the ``fraud_detection_v1`` service (with its on-demand view) for
  ``--entity-rows`` entity rows: Feast's ``get_historical_features(...).to_df()`` and
  ``retrieval.training_frame`` (the store-independent frame), each with the rows it returned:
  the file store drops entity rows with no feature row inside the TTL, PostgreSQL keeps them
  with nulls, so their raw ``to_df`` times are for different row counts.

The servers profile works in a PostgreSQL database created for the run and dropped after it
and in a Feast project of its own in Redis (keys deleted after the run).

    ./pants package src/python/ml_model_services/benchmarks:online-reader-benchmark
    ./pants run src/python/feature_store_management/benchmarks:feature-store-benchmark -- \
        --users 10000 --transactions 100000 --entity-rows 100000 \
        --dist "$PWD/dist" --json "$PWD/dist/benchmarks/feature_store.json"

``--json PATH`` writes every figure (per profile: ``online_1``/``online_100`` with
``rows_per_call``, ``reader_vs_sdk``, ``offline`` with ``rows_out`` next to each median).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from feature_store_management.benchmarks import reader_comparison
from feature_store_management.benchmarks.report import latency_stats, render
from feature_store_management.data_generation.generator import generate
from feature_store_management.data_generation.raw_store import load_raw
from feature_store_management.data_transformation_pipelines.etl import clean_user_demographics
from feature_store_management.data_transformation_pipelines.spark import transaction_aggregates
from feature_store_management.feature_repo.retrieval import feature_refs, training_frame
from feature_store_management.feature_repo.store import apply, materialize_incremental
from feature_store_management.settings import FeatureStoreSettings
from feature_store_management.testing.scratch_database import scratch_database
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.settings import PlatformSettings, Profile


def log(message: str) -> None:
    print(f"[benchmark] {message}", file=sys.stderr, flush=True)


def drop_redis_project(redis_url: str, project: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        # Feast's hashes end with the project; recent payments are "<project>:recent_...".
        keys = list(client.scan_iter(match=b"*" + project.encode(), count=1000))
        keys += list(client.scan_iter(match=project.encode() + b":*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        return len(keys)
    finally:
        client.close()


def bench_online(store, refs: list[str], n_users: int, batch: int, calls: int, seed: int):
    rng = np.random.default_rng(seed)
    batches = [
        [{"user_id": int(u)} for u in rng.integers(1, n_users + 1, batch)]
        for _ in range(calls + 20)
    ]
    for rows in batches[:20]:  # warm-up: connections, registry cache
        store.get_online_features(features=refs, entity_rows=rows).to_dict()
    samples, rows_out, found = [], 0, 0
    names = [ref.split(":")[1] for ref in refs]
    for rows in batches[20:]:
        started = time.perf_counter()
        result = store.get_online_features(features=refs, entity_rows=rows).to_dict()
        samples.append(time.perf_counter() - started)
        rows_out += len(result["user_id"])
        found += sum(any(result[n][i] is not None for n in names) for i in range(batch))
    assert rows_out == batch * calls, (rows_out, batch, calls)
    assert found > 0, "empty online store"
    return latency_stats(samples) | {
        "calls": calls,
        "rows_per_call": rows_out / calls,
        "found_per_call": round(found / calls, 2),
    }


def entity_frame(settings: FeatureStoreSettings, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp(settings.as_of)
    stamps = as_of - pd.to_timedelta(rng.uniform(0, settings.days, rows), unit="D")
    return pd.DataFrame(
        {
            "user_id": rng.integers(1, settings.n_users + 1, rows).astype("int64"),
            "event_timestamp": stamps.floor("s"),
            "amount": rng.gamma(2.0, 30.0, rows).round(2),
            "merchant_category": rng.choice(["grocery", "travel", "fuel"], rows),
            "country": rng.choice(["US", "DE", "GB"], rows),
            "hour_of_day": rng.integers(0, 24, rows).astype("int64"),
        }
    )


def run_profile(
    settings: FeatureStoreSettings, spark, args: argparse.Namespace, reader_pex: Path
) -> dict:
    profile = settings.profile.value
    started = time.perf_counter()
    tables = generate(settings.n_users, settings.n_transactions, settings.as_of, settings.days, 7)
    for name, frame in tables.items():
        load_raw(settings, name, frame)
    transaction_aggregates.run(settings, spark=spark)
    clean_user_demographics.run(settings)
    store = apply(settings)
    materialize_incremental(settings, settings.as_of)
    build_s = time.perf_counter() - started
    log(f"{profile}: store built in {build_s:.1f}s")

    online_refs = feature_refs(store, CHURN.feature_service) + [
        f"{transaction_aggregates.FEATURE_VIEW}:{c}" for c in transaction_aggregates.FEATURE_COLUMNS
    ]
    result: dict[str, object] = {"profile": profile, "build_s": round(build_s, 1)}
    for batch in (1, 100):
        calls = args.lookups if batch == 1 else max(args.lookups // 5, 50)
        result[f"online_{batch}"] = bench_online(
            store, online_refs, settings.n_users, batch, calls, seed=batch
        )
        log(f"{profile}: online {batch} entities: {result[f'online_{batch}']}")

    ids = [
        int(u) for u in np.random.default_rng(11).integers(1, settings.n_users + 1, args.lookups)
    ]
    servers = settings.profile == Profile.SERVERS
    result["reader_vs_sdk"] = reader_comparison.compare(
        store,
        reader_pex,
        settings.project,
        ids,
        redis_url=settings.platform.redis_url if servers else None,
        sqlite_path=None if servers else settings.repo_dir / "data" / "online_store.db",
    )
    log(f"{profile}: reader vs SDK, 1 entity: {result['reader_vs_sdk']}")

    entities = entity_frame(settings, args.entity_rows, seed=3)
    service = store.get_feature_service(FRAUD.feature_service)
    timings = {}
    for label, func in (
        ("feast_to_df", lambda: store.get_historical_features(entities, service).to_df()),
        ("training_frame", lambda: training_frame(store, entities, service)),
    ):
        samples, rows = [], 0
        for _ in range(args.offline_repeats):
            t = time.perf_counter()
            rows = len(func())
            samples.append(time.perf_counter() - t)
        timings[label] = {
            "median_s": round(statistics.median(samples), 2),
            "rows_in": len(entities),
            "rows_out": rows,
        }
        log(f"{profile}: offline {label} {args.entity_rows} rows: {timings[label]}")
    result["offline"] = timings
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--entity-rows", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=1_000, help="calls per 1-entity run")
    parser.add_argument("--offline-repeats", type=int, default=3)
    parser.add_argument("--profiles", default="embedded,servers")
    parser.add_argument("--home", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get(
            "MLOPS_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("MLOPS_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="Pants dist/ folder")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    reader_pex = (args.dist / reader_comparison.READER_PEX).resolve()
    if not reader_pex.is_file():
        print(
            f"missing {reader_pex}: ./pants package "
            "src/python/ml_model_services/benchmarks:online-reader-benchmark (see the docstring)",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("DO_NOT_TRACK", "1")
    profiles = [Profile(p.strip()) for p in args.profiles.split(",") if p.strip()]
    as_of = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    project = f"bench_{uuid.uuid4().hex[:8]}"
    results = []
    with tempfile.TemporaryDirectory(prefix="fs-bench-") as tmp:
        home = args.home or Path(tmp)
        spark = transaction_aggregates.spark_session("local[1]")
        try:
            for profile in profiles:

                def settings_for(dsn: str, profile: Profile = profile) -> FeatureStoreSettings:
                    return FeatureStoreSettings(
                        platform=PlatformSettings(
                            profile=profile,
                            home=home / profile.value,
                            postgres_dsn=dsn,
                            redis_url=args.redis_url,
                        ),
                        project=project,
                        n_users=args.users,
                        n_transactions=args.transactions,
                        days=args.days,
                        as_of=as_of,
                    )

                if profile == Profile.SERVERS:
                    with scratch_database(args.postgres_dsn, "fs_bench") as dsn:
                        try:
                            results.append(run_profile(settings_for(dsn), spark, args, reader_pex))
                        finally:
                            drop_redis_project(args.redis_url, project)
                else:
                    results.append(
                        run_profile(settings_for(args.postgres_dsn), spark, args, reader_pex)
                    )
        finally:
            spark.stop()

    print(render(results, args))
    figures: dict[str, object] = {
        "benchmark": "feature_store",
        "args": vars(args) | {"dist": str(args.dist)},
    }
    figures |= {"results": results, "load_average": list(os.getloadavg())}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
        log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
