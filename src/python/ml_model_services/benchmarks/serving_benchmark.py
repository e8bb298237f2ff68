"""Serving benchmark (not a test): one run, three targets, same load generator, 1 process each.

    (a) ``mlflow models serve`` of the registered fraud model version (pyfunc, pandas),
        sent the same feature vector in its ``dataframe_split`` payload;
    (b) the bare reference endpoint (:mod:`reference_app`): FastAPI + ONNX Runtime + one Redis
        read, nothing else — the practical ceiling of this stack;
    (c) the fraud API PEX end to end: auth, validation, Redis features, ONNX, Label Engine,
        Prometheus metrics, JSON access logs.

Load: ``wrk -t1 -c16`` (Debian package ``wrk``) on loopback, a warm-up then a measured run per
target, in ``--rounds`` interleaved rounds (a, b, c, a, b, c...). Prints the median req/s, p50,
p99 and server CPU per request of each target and the ratios c/a (goal >= 25x req/s, p99 <=
1/20) and c/b (goal >= 0.6). Needs the PEXes (``./pants package`` of the fraud API and the two
fixture PEXes) and the local Redis:

    ./pants package src/python/ml_model_services/fraud_detection_api:fraud-detection-api \\
        src/python/ml_model_development/testing:serving-fixture \\
        src/python/feature_store_management/testing:online-golden
    ./pants run src/python/ml_model_services/benchmarks:serving-benchmark -- --dist "$PWD/dist"
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from mlops_common.http_wait import wait_until_ready

API_KEY = "bench-key"
FIXTURE = "src.python.ml_model_development.testing/serving-fixture.pex"
GOLDEN = "src.python.feature_store_management.testing/online-golden.pex"
FRAUD_API = "src.python.ml_model_services.fraud_detection_api/fraud-detection-api.pex"
REQUEST = {
    "transaction_id": "bench-1",
    "user_id": 3,
    "amount": 100.5,
    "merchant_category": "electronics",
    "country": "DE",
    "hour_of_day": 3,
}


@dataclass
class Result:
    target: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: str
    requests: int = 0
    cpu_us_per_request: float = 0.0  # server process group, user+system


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user+system) of every process in a process group (server + its workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 (pgrp), after pid and (comm)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Procs:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.work / f"{name}.log").open("w")
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=self.work,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def run_wrk(
    target: str,
    url: str,
    body: dict,
    headers: dict[str, str],
    work: Path,
    duration: int,
    connections: int,
    pgid: int,
) -> Result:
    script = work / f"{target}.lua"
    lines = ['wrk.method = "POST"', 'wrk.headers["content-type"] = "application/json"']
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    script.write_text("\n".join(lines) + "\n")
    base = ["wrk", "-t1", f"-c{connections}", "--latency", "-s", str(script), url]
    subprocess.run([*base[:3], "-d3s", *base[3:]], capture_output=True, check=True)  # warm-up
    cpu_before = group_cpu_seconds(pgid)
    out = subprocess.run(
        [*base[:3], f"-d{duration}s", *base[3:]], capture_output=True, text=True, check=True
    ).stdout
    cpu = group_cpu_seconds(pgid) - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return Result(
        target,
        rps,
        p50,
        p99,
        int(non2xx.group(1)) if non2xx else 0,
        errors.group(0) if errors else "",
        requests,
        cpu / max(requests, 1) * 1e6,
    )


def median_result(runs: list[Result]) -> Result:
    """Per-metric median over the rounds of one target (requests and errors are summed)."""

    def mid(values: list[float]) -> float:
        return statistics.median(values)

    return Result(
        runs[0].target,
        mid([r.requests_per_s for r in runs]),
        mid([r.p50_ms for r in runs]),
        mid([r.p99_ms for r in runs]),
        sum(r.non_2xx for r in runs),
        "; ".join(r.errors for r in runs if r.errors),
        sum(r.requests for r in runs),
        mid([r.cpu_us_per_request for r in runs]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="serving-benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="Pants dist/ folder")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved a/b/c rounds; medians are compared"
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
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
        mlflow_port = _port()
        mlflow_url = f"http://127.0.0.1:{mlflow_port}"
        p = procs.start(
            "mlflow-server",
            [
                py,
                str(dist / FIXTURE),
                "mlflow-server",
                "--port",
                str(mlflow_port),
                "--root",
                str(work / "mlflow"),
            ],
            base_env,
        )
        wait_until_ready(f"{mlflow_url}/health", p, work / "mlflow-server.log")
        print("[bench] registering the fraud model (trainer on the fixture repo)", flush=True)
        reg = subprocess.run(
            [py, str(dist / FIXTURE), "register", "fraud", "--tracking-uri", mlflow_url, "--home", str(work / "train")],
            env=base_env, cwd=work, capture_output=True, text=True, check=True,
        )  # fmt: skip
        version = json.loads(reg.stdout.strip().splitlines()[-1])["versions"][0]
        print("[bench] writing online features to Redis with Feast", flush=True)
        subprocess.run(
            [py, str(dist / GOLDEN), "--home", str(work / "features"), "--project", project, "--out", str(work / "golden.json"), "--redis-url", args.redis_url],
            env=base_env, cwd=work, capture_output=True, text=True, check=True,
        )  # fmt: skip

        # (c) the fraud API PEX
        api_port = _port()
        api_env = base_env | {
            "MLOPS_PROFILE": "servers",
            "MLOPS_HOME": str(work / "api_home"),
            "MLOPS_MLFLOW_TRACKING_URI": mlflow_url,
            "MLOPS_REDIS_URL": args.redis_url,
            "MLOPS_SERVICE_FEAST_PROJECT": project,
            "MLOPS_SERVICE_API_KEY": API_KEY,
        }
        p = api_proc = procs.start(
            "fraud-api",
            [py, str(dist / FRAUD_API), "--host", "127.0.0.1", "--port", str(api_port)],
            api_env,
        )
        api = f"http://127.0.0.1:{api_port}"
        wait_until_ready(f"{api}/health/ready", p, work / "fraud-api.log")
        sample = httpx.post(
            f"{api}/v1/fraud/score", json=REQUEST, headers={"x-api-key": API_KEY}
        ).json()
        features = sample["features"]
        model_file = next(
            (work / "api_home" / "serving" / "model_cache").glob(f"*/{version}/model.onnx")
        )

        # (b) the bare reference endpoint
        ref_port = _port()
        ref_env = base_env | {"PYTHONPATH": os.pathsep.join(sys.path)}
        p = ref_proc = procs.start(
            "reference",
            [sys.executable, "-m", "ml_model_services.benchmarks.reference_app", "--port", str(ref_port),
             "--model", str(model_file), "--redis-url", args.redis_url, "--project", project],
            ref_env,
        )  # fmt: skip
        ref = f"http://127.0.0.1:{ref_port}"
        wait_until_ready(f"{ref}/docs", p, work / "reference.log")
        ref_sample = httpx.post(f"{ref}/score", json=REQUEST).json()

        # (a) mlflow models serve of the same registered version
        serve_port = _port()
        p = serve_proc = procs.start(
            "mlflow-models-serve",
            [py, str(dist / FIXTURE), "models-serve", "--tracking-uri", mlflow_url,
             "--model-uri", f"models:/fraud_detection_xgboost/{version}", "--port", str(serve_port)],
            base_env,
        )  # fmt: skip
        serve = f"http://127.0.0.1:{serve_port}"
        wait_until_ready(f"{serve}/ping", p, work / "mlflow-models-serve.log")
        columns = list(features)
        mlflow_body = {
            "dataframe_split": {"columns": columns, "data": [[features[c] for c in columns]]}
        }
        serve_sample = httpx.post(f"{serve}/invocations", json=mlflow_body, timeout=30)
        serve_sample.raise_for_status()
        print(
            f"[bench] samples: api p={sample['probability']:.6f} label={sample['label']}; "
            f"reference p={ref_sample['probability']:.6f}; mlflow {serve_sample.text[:80]}",
            flush=True,
        )

        targets = (
            ("a_mlflow_models_serve", f"{serve}/invocations", mlflow_body, {}, serve_proc),
            ("b_bare_reference", f"{ref}/score", REQUEST, {}, ref_proc),
            ("c_fraud_api", f"{api}/v1/fraud/score", REQUEST, {"x-api-key": API_KEY}, api_proc),
        )
        rounds: list[list[Result]] = []
        for number in range(1, args.rounds + 1):
            # Interleaved rounds: a slow spell of a shared machine hits all three targets
            # alike instead of one, and the median of each target is what gets compared.
            print(f"[bench] round {number}/{args.rounds}", flush=True)
            rounds.append([])
            for target, url, body, headers, proc in targets:
                result = run_wrk(
                    target, url, body, headers, work, args.duration, args.connections, proc.pid
                )
                rounds[-1].append(result)
                print(
                    f"[bench]   {target:<22} {result.requests_per_s:>8.1f} req/s"
                    f"  p99 {result.p99_ms:>7.2f} ms",
                    flush=True,
                )
        results = [median_result([r[i] for r in rounds]) for i in range(len(targets))]
        a, b, c = results
        print(f"\nmedians of {args.rounds} rounds of {args.duration}s per target")
        print(
            f"{'target':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}{'CPU us/req':>12}"
        )
        for r in results:
            print(
                f"{r.target:<24}{r.requests_per_s:>10.1f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}"
                f"{r.non_2xx:>9}{r.cpu_us_per_request:>12.0f}"
            )
        ratios = {
            "c/a req/s": c.requests_per_s / a.requests_per_s,
            "a/c p99": a.p99_ms / c.p99_ms,
            "c/b req/s": c.requests_per_s / b.requests_per_s,
        }
        goals = {"c/a req/s": 25.0, "a/c p99": 20.0, "c/b req/s": 0.6}
        print()
        for key, value in ratios.items():
            verdict = "ok" if value >= goals[key] else "MISSED"
            print(f"{key:<12}{value:>8.2f}  (goal >= {goals[key]})  {verdict}")
        print(
            f"CPU per request (server processes): a/c {a.cpu_us_per_request / c.cpu_us_per_request:.1f}x,"
            f" c/b {c.cpu_us_per_request / b.cpu_us_per_request:.2f}"
        )
        print(f"load average: {os.getloadavg()} on {os.cpu_count()} CPUs (shared machine)")
        if args.out:
            args.out.write_text(
                json.dumps(
                    {
                        "results": [asdict(r) for r in results],
                        "rounds": [[asdict(r) for r in one] for one in rounds],
                        "ratios": ratios,
                    },
                    indent=2,
                )
            )
        return 0
    finally:
        procs.stop_all()
        try:
            import redis

            client = redis.Redis.from_url(args.redis_url)
            keys = list(client.scan_iter(match=f"*{project}", count=1000))
            if keys:
                client.delete(*keys)
        except Exception as exc:  # - cleanup must not hide the result
            print(f"[bench] redis cleanup failed: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
