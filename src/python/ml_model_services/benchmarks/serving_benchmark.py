"""Serving benchmark (not a test): four servers, one load generator, interleaved rounds.

Every target is one process on loopback, sent the same load (``wrk -t1 -c16``, one POST of
the same transaction JSON per request, a 3 s warm-up then ``--duration`` s measured), in
``--rounds`` (default 5) interleaved rounds (mlflow, bare_fastapi, raw_asgi, fraud_api,
mlflow, ...) so a slow spell of a shared machine hits every target alike; medians are compared.

* ``mlflow`` — ``mlflow models serve`` of the registered fraud model version (pyfunc, pandas):
  the baseline. The registered model is the ONNX graph the API serves (``mlflow.onnx``; results
  before that change served the sklearn Pipeline), so both sides run the same graph. It is sent the feature vector the fraud API computed for the same transaction
  (it has no online store), encoded with the graph's vocabulary as its ``inputs`` tensor payload.
* ``bare_fastapi`` (:mod:`reference_app`) — a plain ``@app.post`` FastAPI handler with a pydantic
  body, one redis-py ``HMGET``, feeds built per request, ORT: **what a team writes first**. Not a
  ceiling, and no goal: it is printed for information.
* ``raw_asgi`` (:mod:`raw_asgi_app`) — a bare ASGI callable that reads the body and returns a
  constant JSON, on the same server stack as the API (uvicorn + uvloop + httptools, the same
  ``uvicorn.run`` options): **the ceiling**. No Python service on this stack can beat it.
* ``fraud_api`` — the fraud API PEX end to end: API-key auth, validation, online features from
  Redis, ONNX Runtime, Label Engine rules, Prometheus metrics, JSON access log.
* ``fraud_api_single`` — the same PEX with dynamic batching off (``MLOPS_SERVICE_COALESCE_MAX=1``):
  every request scored on its own, as before ``score_coalescer``; information, no goal.
* ``fraud_api_shadow`` — the same PEX and model with a challenger (the champion's graph with
  inverted probabilities, so half the decisions change) shadowing 100% of requests
  (``MLOPS_SERVICE_SHADOW_SHARE=1``): the worker's CPU is in the same process group, so the
  issue 19 goals (p99 and CPU per request within 10% of ``fraud_api``) are measured honestly.

For each target: median req/s, p50, p99 (wrk) and **CPU µs per request** (the server process
group's user+system CPU delta over the measured run / requests completed, from ``/proc``).
Goals (issue 16), each printed MET or MISSED with the number of rounds it held in: fraud API
req/s ≥ 35% of ``raw_asgi`` and ≤ 120 µs CPU per request; ≥ 30x ``mlflow``'s req/s and ≤ 1/30
of its CPU per request; p99 ≤ 1/20 of ``mlflow``'s. ``--json PATH`` writes ``mlflow_rps``,
``bare_fastapi_rps``, ``raw_asgi_rps``, ``fraud_api_rps``, ``*_p99_ms``, ``*_cpu_us``, the goals
and every round. Needs ``wrk`` (Debian package), the local Redis and three PEXes:

    ./pants package src/python/ml_model_services/fraud_detection_api:fraud-detection-api \\
        src/python/ml_model_development/testing:serving-fixture \\
        src/python/feature_store_management/testing:online-golden
    ./pants run src/python/ml_model_services/benchmarks:serving-benchmark -- \\
        --dist "$PWD/dist" --json "$PWD/dist/benchmarks/serving.json"
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import httpx

from ml_model_services.benchmarks import serving_goals
from ml_model_services.benchmarks.serving_targets import (
    FIXTURE,
    FRAUD_API,
    GOLDEN,
    Procs,
    Target,
    start_targets,
)
from ml_model_services.benchmarks.wrk_load import Result, median_result, run_wrk


def run_rounds(
    targets: list[Target], work: Path, rounds: int, duration: int, connections: int
) -> list[dict[str, Result]]:
    """``rounds`` interleaved rounds over every target (alternating order between rounds)."""
    out: list[dict[str, Result]] = []
    for number in range(1, rounds + 1):
        # Interleaved: a slow spell of a shared machine hits every target alike; the order
        # alternates so no target always runs right after the heaviest one.
        print(f"[bench] round {number}/{rounds}", flush=True)
        one: dict[str, Result] = {}
        for t in targets if number % 2 else targets[::-1]:
            r = run_wrk(t.key, t.url, t.body, t.headers, work, duration, connections, t.proc.pid)
            one[t.key] = r
            print(
                f"[bench]   {t.key:<14}{r.requests_per_s:>9.1f} req/s  p99 {r.p99_ms:>7.2f} ms"
                f"  CPU {r.cpu_us_per_request:>7.0f} us/req",
                flush=True,
            )
        out.append(one)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="serving-benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="Pants dist/ folder")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (>= 5)")
    parser.add_argument(
        "--redis-url", default=os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)

    dist = args.dist.resolve()
    missing = [p for p in (FIXTURE, GOLDEN, FRAUD_API) if not (dist / p).is_file()]
    if missing or not shutil.which("wrk"):
        print(
            f"missing: {missing or 'wrk (apt-get install wrk)'}; see the module docstring",
            file=sys.stderr,
        )
        return 2
    work = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    pex_root = Path(tempfile.gettempdir()) / "mlops-serving-tests-pex-root"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PEX_", "MLOPS_"))}
    base_env |= {"PEX_ROOT": str(pex_root), "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    py = shutil.which("python3.11") or sys.executable  # runs the other PEXes
    procs = Procs(work)
    project = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        print(f"[bench] work dir {work}", flush=True)
        targets = start_targets(dist, work, procs, py, base_env, args.redis_url, project)
        rounds = run_rounds(targets, work, args.rounds, args.duration, args.connections)
        medians = {
            key: median_result([one[key] for one in rounds]) for key in serving_goals.TARGETS
        }
        # Did the challenger really shadow every request? (queued = scored, nothing dropped)
        shadowed = next(t for t in targets if t.key == "fraud_api_shadow")
        base = shadowed.url.rsplit("/v1/", 1)[0]
        info = httpx.get(f"{base}/v1/fraud/model", headers=shadowed.headers, timeout=10).json()
        shadow_stats = info["shadow"]
        api = next(t for t in targets if t.key == "fraud_api").url.rsplit("/v1/", 1)[0]
        api_info = httpx.get(f"{api}/v1/fraud/model", headers=shadowed.headers, timeout=10)
        coalescing = api_info.json()["coalescing"]
        print()
        print(serving_goals.render(medians, rounds, args.duration))
        print(f"shadow worker of fraud_api_shadow (all rounds and warm-ups): {shadow_stats}")
        print(f"dynamic batching of fraud_api (all rounds and warm-ups): {coalescing}")
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
        if args.json:
            figures = serving_goals.figures(medians, rounds)
            figures |= {"duration_s": args.duration, "connections": args.connections}
            figures["load_average"] = list(load)
            figures["shadow_stats"] = shadow_stats
            figures["coalescing"] = coalescing
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
            print(f"[bench] figures written to {args.json}", flush=True)
        return 0
    finally:
        procs.stop_all()
        try:
            import redis

            client = redis.Redis.from_url(args.redis_url)
            # Feast's hashes end with the project; recent payments are "<project>:recent_...".
            keys = list(client.scan_iter(match=f"*{project}", count=1000))
            keys += list(client.scan_iter(match=f"{project}:*", count=1000))
            if keys:
                client.delete(*keys)
        except Exception as exc:  # - cleanup must not hide the result
            print(f"[bench] redis cleanup failed: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
