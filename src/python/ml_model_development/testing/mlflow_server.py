"""TEST ONLY: a real MLflow tracking server on loopback with a PostgreSQL backend.

Tests of the servers profile share it: it creates a database of its own
(``mlflow_test_<random>``), starts the server as its own process group with job execution off
(2 processes instead of ~10), and stops the group and drops the database afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from mlops_common.http_wait import wait_until_ready
from mlops_common.ports import free_port

DSN = os.environ.get("MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def running_mlflow_server(tmp: Path) -> Iterator[str]:
    """Yield the URI of a fresh MLflow server whose files live under ``tmp``."""
    db = f"mlflow_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    server_root = DSN.split("://", 1)[1].rsplit("/", 1)[0]
    backend = f"postgresql+psycopg://{server_root}/{db}"
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "PYTHONPATH": os.pathsep.join(sys.path),
        "HOME": str(tmp),
    }
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", backend,
            "--artifacts-destination", str(tmp / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ],
        env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{uri}/health", proc, tmp / "server.log", timeout_s=120)
        yield uri
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
