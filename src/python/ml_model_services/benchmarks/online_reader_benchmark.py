"""The services' own online-store reader, timed one entity per call (not a test).

Run by the feature-store benchmark (features resolve, which cannot import serving code) as
the ``online-reader-benchmark`` PEX, next to its Feast SDK timing of the same entities:

    online-reader-benchmark --use-case churn --project NAME --entities 5,17,3,... \\
        (--redis-url redis://... | --sqlite-path .../online_store.db) [--values-for 200]

For each entity id, in order, it times ``await reader.read([entity_id])`` — exactly the call a
model API makes per request (:mod:`ml_model_services.common_service_libs.online_features`:
one pipelined ``HMGET`` on Redis, one query per feature view on SQLite, values decoded from
Feast's protobufs) — after a warm-up of 20 reads (connection set-up excluded, as in a
running service), on uvloop like the services (uvicorn's loop). It prints one JSON line: p50/p99/mean in ms, every sample, and the rows it
read for the first ``--values-for`` entities, so the caller can check the values equal what
``get_online_features`` returned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ml_model_services.common_service_libs.online_features import make_reader
from mlops_common.contracts.features import MODEL_CONTRACTS

USE_CASES = {"fraud": "fraud_detection", "churn": "customer_churn"}


async def time_reads(reader: Any, entity_ids: list[int], warmup: int = 20) -> list[float]:
    for entity_id in entity_ids[:warmup]:
        await reader.read([entity_id])
    samples = []
    for entity_id in entity_ids:
        started = time.perf_counter()
        await reader.read([entity_id])
        samples.append(time.perf_counter() - started)
    return samples


async def run(args: argparse.Namespace) -> dict[str, Any]:
    contract = MODEL_CONTRACTS[USE_CASES[args.use_case]]
    kind = "redis" if args.redis_url else "sqlite"
    reader = make_reader(
        contract,
        kind,
        args.project,
        redis_url=args.redis_url,
        sqlite_path=Path(args.sqlite_path) if args.sqlite_path else None,
        timeout_s=1.0,
    )
    try:
        ids = [int(x) for x in args.entities.split(",") if x]
        samples = np.array(await time_reads(reader, ids)) * 1000.0
        check = ids[: args.values_for]
        rows = await reader.read(check)
    finally:
        await reader.close()
    return {
        "reader": kind,
        "use_case": args.use_case,
        "calls": len(samples),
        "p50_ms": round(float(np.percentile(samples, 50)), 4),
        "p99_ms": round(float(np.percentile(samples, 99)), 4),
        "mean_ms": round(float(samples.mean()), 4),
        "samples_ms": [round(float(x), 5) for x in samples],
        "features": [name for _, name in reader.layout.features],
        "values": {str(e): row for e, row in zip(check, rows, strict=True)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="online-reader-benchmark", description=__doc__)
    parser.add_argument("--use-case", choices=sorted(USE_CASES), default="churn")
    parser.add_argument("--project", required=True)
    parser.add_argument("--entities", required=True, help="comma-separated entity ids")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--sqlite-path", default=None)
    parser.add_argument("--values-for", type=int, default=200)
    args = parser.parse_args(argv)
    if bool(args.redis_url) == bool(args.sqlite_path):
        parser.error("give exactly one of --redis-url and --sqlite-path")
    import uvloop  # pants: no-infer-dep (uvicorn[standard] brings it; see BUILD)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        print(json.dumps(runner.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
