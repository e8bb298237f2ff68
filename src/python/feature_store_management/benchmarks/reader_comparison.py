"""Feast SDK vs the model services' own online reader, one entity per call, same values.

Both sides read the ``customer_churn_v1`` feature service (9 features in 2 stored views; no
window features, so both return the same features from the same stored rows) for the same
random entity ids, one entity per call:

* **Feast SDK**: ``store.get_online_features(features=<service>, entity_rows=[{"user_id": id}])
  .to_dict()`` in this process — what a service written against the SDK does per request;
* **service reader**: the ``online-reader-benchmark`` PEX (serving resolve; this resolve cannot
  import serving code) times ``await reader.read([id])`` of
  ``ml_model_services.common_service_libs.online_features`` — what the model APIs do.

Each side's clock covers only its call (connections are warm on both sides). The sides run as
SDK, reader, reader, SDK on the two halves of the ids, so a slow spell of a shared machine
hits both. The values of the first ``VALUES_CHECKED`` entities are compared exactly; the goal
(issue 16) is reader p50 ≥ 5x faster than the SDK's with zero mismatches.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from feature_store_management.benchmarks.report import latency_stats
from mlops_common.contracts.features import CHURN

READER_PEX = "src.python.ml_model_services.benchmarks/online-reader-benchmark.pex"
SPEEDUP_GOAL = 5.0
VALUES_CHECKED = 200


def sdk_reads(store: Any, ids: list[int], warmup: int = 20) -> tuple[list[float], dict[int, dict]]:
    """Per-call seconds of the SDK's single-entity read, and the rows it returned."""
    service = store.get_feature_service(CHURN.feature_service)
    for entity_id in ids[:warmup]:
        store.get_online_features(features=service, entity_rows=[{"user_id": entity_id}])
    samples, rows = [], {}
    for position, entity_id in enumerate(ids):
        started = time.perf_counter()
        out = store.get_online_features(
            features=service, entity_rows=[{"user_id": entity_id}]
        ).to_dict()
        samples.append(time.perf_counter() - started)
        if position < VALUES_CHECKED:  # the same positions the reader returns rows for
            rows[entity_id] = {k: v[0] for k, v in out.items()}
    return samples, rows


def reader_reads(
    pex: Path, project: str, ids: list[int], redis_url: str | None, sqlite_path: Path | None
) -> dict[str, Any]:
    """Run the serving-side PEX on ``ids``; its JSON line (timings + rows read)."""
    store_arg = ["--redis-url", redis_url] if redis_url else ["--sqlite-path", str(sqlite_path)]
    py = shutil.which("python3.11") or sys.executable
    out = subprocess.run(
        [py, str(pex), "--use-case", "churn", "--project", project,
         "--entities", ",".join(map(str, ids)), "--values-for", str(VALUES_CHECKED), *store_arg],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def mismatches(
    sdk_rows: dict[int, dict], reader_rows: dict[str, dict], features: list[str]
) -> list[str]:
    """Every (entity, feature) where the two sides differ; NaN equals NaN."""
    out = []
    for entity_id, sdk in sdk_rows.items():
        mine = reader_rows.get(str(entity_id))
        if mine is None:
            out.append(f"{entity_id}: not read by the service reader")
            continue
        for name in features:
            a, b = sdk.get(name), mine.get(name)
            if a != b and not (isinstance(a, float) and isinstance(b, float) and a != a and b != b):
                out.append(f"{entity_id}.{name}: sdk {a!r} reader {b!r}")
    return out


def compare(
    store: Any,
    pex: Path,
    project: str,
    ids: list[int],
    redis_url: str | None = None,
    sqlite_path: Path | None = None,
) -> dict[str, Any]:
    """SDK, reader, reader, SDK over the two halves of ``ids``; timings, speedup, mismatches."""
    half = len(ids) // 2
    first, second = ids[:half], ids[half:]
    sdk_a, sdk_rows = sdk_reads(store, first)
    reader_a = reader_reads(pex, project, first, redis_url, sqlite_path)
    reader_b = reader_reads(pex, project, second, redis_url, sqlite_path)
    sdk_b, _ = sdk_reads(store, second)
    sdk = latency_stats(sdk_a + sdk_b, digits=4)
    reader = latency_stats(
        [ms / 1000.0 for ms in reader_a["samples_ms"] + reader_b["samples_ms"]], digits=4
    )
    bad = mismatches(sdk_rows, reader_a["values"], reader_a["features"])
    found = sum(any(v is not None for v in r.values()) for r in reader_a["values"].values())
    speedup = sdk["p50_ms"] / reader["p50_ms"]
    return {
        "reader": reader_a["reader"],
        "feature_service": CHURN.feature_service,
        "features": len(reader_a["features"]),
        "entities_per_call": 1,
        "sdk": sdk,
        "service_reader": reader,
        "speedup_p50": round(speedup, 2),
        "goal": SPEEDUP_GOAL,
        "values_checked": len(sdk_rows),
        "entities_found": found,
        "mismatches": bad[:20],
        "mismatch_count": len(bad),
        "met": speedup >= SPEEDUP_GOAL and not bad,
    }
