"""Helpers of the services' integration tests: real processes on loopback, cleaned up after.

The MLflow registry and the golden Feast data come from PEXes of other resolves (the serving
resolve has neither MLflow nor Feast): ``serving-fixture`` (training) and ``online-golden``
(features), built by Pants as ``runtime_package_dependencies`` of the test targets.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mlops_common.http_wait import NotReadyError, wait_until_ready
from mlops_common.ports import free_port

GOLDEN_PEX = Path("src.python.feature_store_management.testing/online-golden.pex")
FIXTURE_PEX = Path("src.python.ml_model_development.testing/serving-fixture.pex")
REDIS_URL = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
API_KEY = "test-key-1"
# PEX venvs are content-addressed: one shared root avoids unpacking MLflow/Feast per run.
PEX_ROOT = Path(tempfile.gettempdir()) / "mlops-serving-tests-pex-root"


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    return free_port()


def pex_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEX_", "MLOPS_"))}
    env.update(
        {
            "PEX_ROOT": str(PEX_ROOT),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
            "FEAST_USAGE": "False",
        }
    )
    env.update(extra or {})
    return env


def run_pex(
    pex: Path,
    args: list[str],
    *,
    cwd: Path,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> str:
    """Run a PEX to completion (``env``: extra variables); its last stdout line (JSON)."""
    proc = subprocess.run(
        [sys.executable, str(pex.resolve()), *args],
        cwd=cwd,
        env=pex_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{pex.name} {args[0]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    return proc.stdout.strip().splitlines()[-1]


@dataclass
class Proc:
    """A background process in its own process group, with its output in a log file."""

    popen: subprocess.Popen
    log_path: Path
    url: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def start(cmd: list[str], *, env: dict[str, str], cwd: Path, log_path: Path, url: str) -> Proc:
    handle = log_path.open("w")
    popen = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    handle.close()
    return Proc(popen, log_path, url)


def wait_http(proc: Proc, path: str, timeout: float = 120) -> None:
    """Wait until ``path`` answers 200 (:mod:`mlops_common.http_wait`); stop ``proc`` if not."""
    try:
        wait_until_ready(f"{proc.url}{path}", proc.popen, proc.log_path, timeout_s=timeout)
    except NotReadyError:
        proc.stop()
        raise


def start_mlflow(root: Path) -> Proc:
    port = free_port()
    proc = start(
        [
            sys.executable,
            str(FIXTURE_PEX.resolve()),
            "mlflow-server",
            "--port",
            str(port),
            "--root",
            str(root),
        ],
        env=pex_env(),
        cwd=root.parent,
        log_path=root.parent / "mlflow-server.log",
        url=f"http://127.0.0.1:{port}",
    )
    wait_http(proc, "/health", timeout=240)
    return proc


def start_service(
    module: str, tmp: Path, env: dict[str, str], *, name: str, ready: bool = True
) -> Proc:
    """Run ``python -m <module> --port P`` (what the PEX runs) with this test's sys.path."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")}
    full_env.update({"PYTHONPATH": os.pathsep.join(sys.path), "MLOPS_SERVICE_API_KEY": API_KEY})
    full_env.update(env)
    proc = start(
        [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)],
        env=full_env,
        cwd=tmp,
        log_path=tmp / f"{name}.log",
        url=f"http://127.0.0.1:{port}",
    )
    wait_http(proc, "/health/ready" if ready else "/health/live", timeout=120)
    return proc


def set_alias(mlflow_url: str, name: str, alias: str, version: str) -> None:
    response = httpx.post(
        f"{mlflow_url}/api/2.0/mlflow/registered-models/alias",
        json={"name": name, "alias": alias, "version": version},
        timeout=10,
    )
    response.raise_for_status()


def delete_project_keys(redis_url: str, project: str) -> int:
    """Remove the Feast rows of ``project`` from Redis (keys end with the project name)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{project}", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
    return len(keys)


def same_value(a: Any, b: Any) -> bool:
    """Equal value *and* type (an int must not come back as a float), NaN == NaN."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def close_value(a: Any, b: Any) -> bool:
    """:func:`same_value`, but floats may differ in the last bits (summation order)."""
    if isinstance(a, float) and isinstance(b, float) and not (math.isnan(a) or math.isnan(b)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return same_value(a, b)


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total
