"""The MLflow and model API images, run for real with podman (host network, free ports).

One container of the ``mlflow-server`` image is the registry of the whole module: the
``serving-fixture`` PEX registers a small fraud and a small churn model in it over its REST
API, as ``test_real_fraud_service_deploy`` does against a host MLflow. The fraud image must
then become ready against the machine's Redis and that registry and score an authenticated
request, and the Kubernetes manifests of both APIs must run under ``podman kube play`` with
their probes, env and ports as written. Every container, pod and secret is removed afterwards.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mlops_common.ports import free_port
from platform_infrastructure.testing.containers import (
    built_image,
    container,
    http_json,
    http_status,
    image_config,
    podman,
    podman_problem,
    run_once,
    wait_for_status,
)

PROBLEM = podman_problem()
pytestmark = pytest.mark.skipif(
    PROBLEM is not None, reason=f"podman cannot run containers here: {PROBLEM}"
)

FIXTURE_PEX = Path("src.python.ml_model_development.testing/serving-fixture.pex")
K8S_DIR = Path("src/kubernetes")
REDIS_URL = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
API_KEY = "image-test-key"
NON_ROOT = "10001:10001"
FRAUD_REQUEST = {
    "user_id": 7,
    "amount": 120.0,
    "merchant_category": "travel",
    "country": "DE",
    "hour_of_day": 21,
}
SERVICES = {
    # image target, registered model, score path, request
    "fraud-detection-api": ("fraud_detection_xgboost", "/v1/fraud/score", FRAUD_REQUEST),
    "customer-churn-api": ("customer_churn_lightgbm", "/v1/churn/score", {"user_id": 7}),
}


@dataclass(frozen=True)
class Registry:
    uri: str
    container: str


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """The mlflow-server image on a free port with the fraud and churn models registered
    (version 1 of each is ``champion``)."""
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    image = built_image("mlflow-server")
    env = {"MLFLOW_HOST": "127.0.0.1", "MLFLOW_PORT": str(port)}
    with container(image, prefix="mlflow", env=env) as name:
        uri = f"http://127.0.0.1:{port}"
        wait_for_status(f"{uri}/health", name, deadline_s=180)
        fixture_env = {**os.environ, "PEX_ROOT": str(root / "pex_root")}
        # Both trainings at once (one core each); each writes its own fixture repo.
        registering = {
            model: subprocess.Popen(
                [
                    sys.executable,
                    str(FIXTURE_PEX),
                    "register",
                    model,
                    "--tracking-uri",
                    uri,
                    "--home",
                    str(root / f"home-{model}"),
                    "--versions",
                    "1",
                ],
                env=fixture_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for model in ("fraud", "churn")
        }
        try:
            for model, proc in registering.items():
                out, err = proc.communicate(timeout=900)
                assert proc.returncode == 0, f"register {model}: {out[-2000:]}{err[-3000:]}"
        finally:
            for proc in registering.values():
                proc.kill()
                proc.wait(timeout=30)
        yield Registry(uri, name)


def test_mlflow_image_serves_the_tracking_api(registry: Registry) -> None:
    config = image_config(built_image("mlflow-server"))
    assert config["User"] == NON_ROOT and config.get("Healthcheck")
    with urllib.request.urlopen(f"{registry.uri}/version", timeout=10) as response:
        assert response.read().decode().startswith("3.17."), "mlflow from the training lock"

    name = f"image-test-{uuid.uuid4().hex[:8]}"
    status, created = http_json(f"{registry.uri}/api/2.0/mlflow/experiments/create", {"name": name})
    assert status == 200, created
    status, found = http_json(
        f"{registry.uri}/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}"
    )
    assert status == 200 and found["experiment"]["experiment_id"] == created["experiment_id"]

    # The models the fixture registered through this server, with their aliases.
    for model in ("fraud_detection_xgboost", "customer_churn_lightgbm"):
        status, alias = http_json(
            f"{registry.uri}/api/2.0/mlflow/registered-models/alias?name={model}&alias=champion"
        )
        assert status == 200 and alias["model_version"]["version"] == "1", alias

    # Reachable under the service names of src/compose and src/kubernetes; other Host
    # headers are still refused (MLflow's DNS-rebinding guard).
    search = f"{registry.uri}/api/2.0/mlflow/experiments/search?max_results=1"
    assert http_status(search, headers={"Host": "mlflow:5000"}) == 200
    assert http_status(search, headers={"Host": "mlflow.mlops.svc.cluster.local:5000"}) == 200
    assert http_status(search, headers={"Host": "attacker.example:5000"}) == 403

    # The image's HEALTHCHECK passes, and the server runs as the non-root user.
    assert podman("healthcheck", "run", registry.container, check=False).returncode == 0
    assert podman("exec", registry.container, "id", "-u").stdout.strip() == "10001"


def _fraud_env(port: int, tracking_uri: str) -> dict[str, str]:
    return {
        "MLOPS_SERVICE_HOST": "127.0.0.1",
        "MLOPS_SERVICE_PORT": str(port),
        "MLOPS_SERVICE_API_KEY": API_KEY,
        "MLOPS_REDIS_URL": REDIS_URL,
        "MLOPS_MLFLOW_TRACKING_URI": tracking_uri,
    }


def test_fraud_image_becomes_ready_and_scores_an_authenticated_request(
    registry: Registry,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    image = built_image("fraud-detection-api")
    with container(image, prefix="fraud", env=_fraud_env(port, registry.uri)) as name:
        wait_for_status(f"{base}/health/ready", name, deadline_s=180)
        assert http_status(f"{base}/health/live") == 200
        status, ready = http_json(f"{base}/health/ready")
        assert ready["detail"]["model_version"] == "1", ready
        assert ready["detail"]["online_store"] == "redis", ready

        status, scored = http_json(
            f"{base}/v1/fraud/score", FRAUD_REQUEST, headers={"x-api-key": API_KEY}
        )
        assert status == 200, scored
        assert scored["model_version"] == "1"
        assert 0.0 <= scored["probability"] <= 1.0
        assert scored["label"] in ("approve", "review", "block")
        assert http_json(f"{base}/v1/fraud/score", FRAUD_REQUEST)[0] == 401
        assert http_json(f"{base}/v1/fraud/score", FRAUD_REQUEST, {"x-api-key": "wrong"})[0] == 401

        assert podman("healthcheck", "run", name, check=False).returncode == 0
        assert podman("exec", name, "id", "-u").stdout.strip() == "10001"


def test_fraud_image_is_live_but_unhealthy_without_a_registry() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    nothing_there = f"http://127.0.0.1:{free_port()}"
    image = built_image("fraud-detection-api")
    with container(image, prefix="fraud-noreg", env=_fraud_env(port, nothing_there)) as name:
        wait_for_status(f"{base}/health/live", name, deadline_s=120)
        status, ready = http_json(f"{base}/health/ready")
        assert status == 503 and "unreachable" in ready["detail"]["error"], ready
        healthcheck = podman("healthcheck", "run", name, check=False)
        assert healthcheck.returncode != 0, healthcheck.stdout + healthcheck.stderr


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_service_image_is_lean_and_non_root(service: str) -> None:
    image = built_image(service)
    config = image_config(image)
    assert config["User"] == NON_ROOT and config.get("Healthcheck")
    assert config["Size"] < 400_000_000, f"{service} image is {config['Size'] / 1e6:.0f} MB"
    probe = (
        "import importlib.util, json\n"
        "names = ['fastapi', 'onnxruntime', 'redis', 'mlflow', 'xgboost', 'lightgbm', 'sklearn',\n"
        "         'airflow', 'feast', 'pyspark', 'torch']\n"
        "print(json.dumps({n: importlib.util.find_spec(n) is not None for n in names}))\n"
    )
    ran = run_once(image, "-c", probe, entrypoint="/opt/service/bin/python", timeout=120)
    assert ran.returncode == 0, ran.stderr[-2000:]
    found = json.loads(ran.stdout.strip().splitlines()[-1])
    assert found["fastapi"] and found["onnxruntime"] and found["redis"], found
    assert not any(found[n] for n in ("mlflow", "xgboost", "lightgbm", "sklearn", "airflow",
                                      "feast", "pyspark", "torch")), found  # fmt: skip


def _manifest(service: str) -> dict:
    docs = [d for d in yaml.safe_load_all((K8S_DIR / f"{service}.yaml").read_text()) if d]
    return next(d for d in docs if d["kind"] == "Deployment")


def _config_map(tracking_uri: str) -> dict:
    config = yaml.safe_load((K8S_DIR / "platform-config.yaml").read_text())
    config = copy.deepcopy(config)
    config["metadata"].pop("namespace", None)
    # The cluster's service names become this machine's loopback services.
    config["data"]["MLOPS_REDIS_URL"] = REDIS_URL
    config["data"]["MLOPS_MLFLOW_TRACKING_URI"] = tracking_uri
    return config


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_kubernetes_manifest_runs_under_podman_kube_play(
    service: str, registry: Registry, tmp_path: Path
) -> None:
    """The Deployment as written, with what a pod on this machine needs instead of a cluster:
    the host network (Redis and MLflow listen on loopback), a free port for the one named
    port ``http`` (args, env and probes follow it), the image Pants built, one replica and a
    unique name. podman 4.3 publishes every ``containerPort`` and refuses that on the host
    network, so the port list is dropped after the probes' named port is resolved; it also
    does not run startup/readiness probes and cannot run httpGet liveness probes without
    curl in the image, so this test calls each probe's path itself, within the startup
    probe's own budget (periodSeconds x failureThreshold)."""
    model, score_path, request = SERVICES[service]
    written = _manifest(service)
    deployment = copy.deepcopy(written)
    suffix = uuid.uuid4().hex[:8]
    deployment["metadata"]["name"] = f"{service}-{suffix}"
    deployment["spec"]["replicas"] = 1
    pod = deployment["spec"]["template"]["spec"]
    pod["hostNetwork"] = True
    (spec,) = pod["containers"]
    spec["image"] = built_image(service)

    port = free_port()
    named_ports = {p["name"]: p["containerPort"] for p in spec.pop("ports")}
    written_port = named_ports["http"]
    args = spec["args"]
    assert args[args.index("--port") + 1] == str(written_port)
    args[args.index("--port") + 1] = str(port)
    args[args.index("--host") + 1] = "127.0.0.1"  # host network: loopback only
    env = {e["name"]: e for e in spec["env"]}
    assert env["MLOPS_SERVICE_PORT"]["value"] == str(written_port)
    env["MLOPS_SERVICE_PORT"]["value"] = str(port)
    secret_ref = env["MLOPS_SERVICE_API_KEY"]["valueFrom"]["secretKeyRef"]
    secret_name = f"{secret_ref['name']}-{suffix}"
    secret_ref["name"] = secret_name

    probes = {kind: spec[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe")}
    for probe in probes.values():
        assert probe["httpGet"]["port"] in named_ports  # resolvable as written
    startup = probes["startupProbe"]
    startup_budget = startup["periodSeconds"] * startup["failureThreshold"]

    play = tmp_path / "play.yaml"
    play.write_text(yaml.safe_dump_all([_config_map(registry.uri), deployment]))
    # podman 4.3 reads a secretKeyRef from a podman secret holding {key: base64(value)}.
    key = f"kube-{suffix}"
    secret_data = json.dumps({secret_ref["key"]: base64.b64encode(key.encode()).decode()})
    podman("secret", "create", secret_name, "-", input_text=secret_data)
    try:
        podman("kube", "play", str(play), timeout=180)
        listed = podman("ps", "--filter", f"name={deployment['metadata']['name']}",
                        "--format", "{{.Names}}").stdout.split()  # fmt: skip
        names = [n for n in listed if not n.endswith("-infra")]
        assert len(names) == 1, listed
        name = names[0]
        base = f"http://127.0.0.1:{port}"
        wait_for_status(f"{base}{startup['httpGet']['path']}", name, deadline_s=startup_budget)
        for kind, probe in probes.items():
            assert http_status(f"{base}{probe['httpGet']['path']}") == 200, kind

        status, scored = http_json(f"{base}{score_path}", request, headers={"x-api-key": key})
        assert status == 200 and scored["model_version"] == "1", scored
        assert http_json(f"{base}{score_path}", request)[0] == 401

        # The pod's securityContext and resources reached the container.
        security = written["spec"]["template"]["spec"]["securityContext"]
        assert podman("exec", name, "id", "-u").stdout.strip() == str(security["runAsUser"])
        memory = podman("inspect", "--format", "{{.HostConfig.Memory}}", name).stdout.strip()
        assert int(memory) == 512 * 1024 * 1024
        assert spec["resources"]["limits"]["memory"] == "512Mi"
        # ... and the env from the ConfigMap and the manifest.
        printed = podman("exec", name, "printenv", "MLOPS_PROFILE", "MLOPS_SERVICE_NAME").stdout
        assert printed.split() == ["servers", service]
    finally:
        podman("kube", "down", str(play), timeout=180, check=False)
        podman("secret", "rm", secret_name, timeout=60, check=False)
