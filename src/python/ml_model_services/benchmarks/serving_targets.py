"""The serving benchmark's targets: the registry, online features and the six servers.

Started once per benchmark run by :func:`start_targets` (each server one process group on
loopback, logging to the work dir), stopped by :meth:`Procs.stop_all`. What each target is
and why: :mod:`.serving_benchmark`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import onnxruntime as ort

from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.onnx_signature import FEATURES_INPUT, FeatureEncoder
from mlops_common.http_wait import wait_until_ready
from mlops_common.ports import free_port

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


class Procs:
    """The servers started for one run, each in its own process group (stopped as a group)."""

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


def encoded_row(model_file: Path, features: dict[str, object]) -> list[float]:
    """The feature vector the API computed, as the registered graph's ``features`` row.

    ``mlflow models serve`` has no online store and no encoder: like any client of the
    registered model (lean ONNX contract), it is sent the row encoded with the graph's own
    vocabulary, missing values as the contract's defaults (JSON has no NaN).
    """
    session = ort.InferenceSession(str(model_file), providers=["CPUExecutionProvider"])
    encoder = FeatureEncoder.from_metadata(FRAUD, session.get_modelmeta().custom_metadata_map)
    row = {
        spec.name: spec.default if features.get(spec.name) is None else features[spec.name]
        for spec in FRAUD.features
    }
    return encoder.encode(row)


@dataclass
class Target:
    """One server under load: where wrk POSTs what, and the process whose group's CPU counts."""

    key: str
    url: str
    body: dict
    headers: dict[str, str]
    proc: subprocess.Popen


def start_targets(
    dist: Path, work: Path, procs: Procs, py: str, base_env: dict[str, str], redis_url: str,
    project: str,
) -> list[Target]:  # fmt: skip
    """Registry, online features, then the six servers; one sample request to each."""
    mlflow_port = free_port()
    mlflow_url = f"http://127.0.0.1:{mlflow_port}"
    p = procs.start(
        "mlflow-server",
        [py, str(dist / FIXTURE), "mlflow-server", "--port", str(mlflow_port), "--root", str(work / "mlflow")],
        base_env,
    )  # fmt: skip
    wait_until_ready(f"{mlflow_url}/health", p, work / "mlflow-server.log")
    print("[bench] registering the fraud model (trainer on the fixture repo)", flush=True)
    reg = subprocess.run(
        [py, str(dist / FIXTURE), "register", "fraud", "--tracking-uri", mlflow_url, "--home", str(work / "train")],
        env=base_env, cwd=work, capture_output=True, text=True, check=True,
    )  # fmt: skip
    version = json.loads(reg.stdout.strip().splitlines()[-1])["versions"][0]
    subprocess.run(
        [py, str(dist / FIXTURE), "register-inverted", "fraud", "--tracking-uri", mlflow_url,
         "--from-version", version, "--alias", "challenger", "--tag", "shadow_state=shadow"],
        env=base_env, cwd=work, capture_output=True, text=True, check=True,
    )  # fmt: skip
    print("[bench] writing online features to Redis with Feast", flush=True)
    subprocess.run(
        [py, str(dist / GOLDEN), "--home", str(work / "features"), "--project", project, "--out", str(work / "golden.json"), "--redis-url", redis_url],
        env=base_env, cwd=work, capture_output=True, text=True, check=True,
    )  # fmt: skip

    api_port = free_port()
    api_env = base_env | {
        "MLOPS_PROFILE": "servers",
        "MLOPS_HOME": str(work / "api_home"),
        "MLOPS_MLFLOW_TRACKING_URI": mlflow_url,
        "MLOPS_REDIS_URL": redis_url,
        "MLOPS_SERVICE_FEAST_PROJECT": project,
        "MLOPS_SERVICE_API_KEY": API_KEY,
    }

    def start_api(name: str, port: int, env: dict[str, str]) -> tuple[str, subprocess.Popen]:
        proc = procs.start(
            name, [py, str(dist / FRAUD_API), "--host", "127.0.0.1", "--port", str(port)], env
        )
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(f"{url}/health/ready", proc, work / f"{name}.log")
        return url, proc

    api, api_proc = start_api("fraud-api", api_port, api_env)
    shadow_env = api_env | {
        "MLOPS_HOME": str(work / "api_shadow_home"),
        "MLOPS_SERVICE_SHADOW_SHARE": "1",
    }
    shadow, shadow_proc = start_api("fraud-api-shadow", free_port(), shadow_env)
    single_env = api_env | {
        "MLOPS_HOME": str(work / "api_single_home"),
        "MLOPS_SERVICE_COALESCE_MAX": "1",
    }
    single, single_proc = start_api("fraud-api-single", free_port(), single_env)
    headers = {"x-api-key": API_KEY}
    sample = httpx.post(f"{api}/v1/fraud/score", json=REQUEST, headers=headers).json()
    model_file = next(
        (work / "api_home" / "serving" / "model_cache").glob(f"*/{version}/model.onnx")
    )

    # The two reference apps run from this benchmark's own environment (serving resolve).
    ref_env = base_env | {"PYTHONPATH": os.pathsep.join(sys.path)}
    ref_port = free_port()
    ref_proc = procs.start(
        "bare-fastapi",
        [sys.executable, "-m", "ml_model_services.benchmarks.reference_app", "--port", str(ref_port),
         "--model", str(model_file), "--redis-url", redis_url, "--project", project],
        ref_env,
    )  # fmt: skip
    ref = f"http://127.0.0.1:{ref_port}"
    wait_until_ready(f"{ref}/docs", ref_proc, work / "bare-fastapi.log")
    ref_sample = httpx.post(f"{ref}/score", json=REQUEST).json()

    raw_port = free_port()
    raw_proc = procs.start(
        "raw-asgi",
        [sys.executable, "-m", "ml_model_services.benchmarks.raw_asgi_app", "--port", str(raw_port)],
        ref_env,
    )  # fmt: skip
    raw = f"http://127.0.0.1:{raw_port}"
    wait_until_ready(f"{raw}/score", raw_proc, work / "raw-asgi.log")

    serve_port = free_port()
    serve_proc = procs.start(
        "mlflow-models-serve",
        [py, str(dist / FIXTURE), "models-serve", "--tracking-uri", mlflow_url,
         "--model-uri", f"models:/fraud_detection_xgboost/{version}", "--port", str(serve_port)],
        base_env,
    )  # fmt: skip
    serve = f"http://127.0.0.1:{serve_port}"
    wait_until_ready(f"{serve}/ping", serve_proc, work / "mlflow-models-serve.log")
    mlflow_body = {"inputs": {FEATURES_INPUT: [encoded_row(model_file, sample["features"])]}}
    serve_sample = httpx.post(f"{serve}/invocations", json=mlflow_body, timeout=30)
    serve_sample.raise_for_status()
    print(
        f"[bench] samples: fraud_api p={sample['probability']:.6f} label={sample['label']}; "
        f"bare_fastapi p={ref_sample['probability']:.6f}; mlflow {serve_sample.text[:80]}",
        flush=True,
    )
    return [
        Target("mlflow", f"{serve}/invocations", mlflow_body, {}, serve_proc),
        Target("bare_fastapi", f"{ref}/score", REQUEST, headers, ref_proc),
        Target("raw_asgi", f"{raw}/score", REQUEST, headers, raw_proc),
        Target("fraud_api", f"{api}/v1/fraud/score", REQUEST, headers, api_proc),
        Target("fraud_api_single", f"{single}/v1/fraud/score", REQUEST, headers, single_proc),
        Target("fraud_api_shadow", f"{shadow}/v1/fraud/score", REQUEST, headers, shadow_proc),
    ]
