"""Session fixtures: a real MLflow server with registered models, golden Feast data in Redis
and SQLite. Each test file runs in its own process, so each gets its own (isolated) set."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_model_services.tests.support import (
    FIXTURE_PEX,
    GOLDEN_PEX,
    REDIS_URL,
    Proc,
    delete_project_keys,
    run_pex,
    start_mlflow,
)


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def mlflow_server(work: Path) -> Iterator[Proc]:
    root = work / "mlflow"
    proc = start_mlflow(root)
    try:
        yield proc
    finally:
        proc.stop()


def _register(mlflow: Proc, work: Path, model: str, versions: int) -> dict:
    home = work / f"train_{model}"
    out = run_pex(
        FIXTURE_PEX,
        [
            "register",
            model,
            "--tracking-uri",
            mlflow.url,
            "--home",
            str(home),
            "--versions",
            str(versions),
        ],
        cwd=work,
    )
    return {**json.loads(out), "home": home}


@pytest.fixture(scope="session")
def fraud_registry(mlflow_server: Proc, work: Path) -> dict:
    """``fraud_detection_xgboost`` v1 (champion) and v2 (challenger)."""
    return _register(mlflow_server, work, "fraud", 2)


@pytest.fixture(scope="session")
def churn_registry(mlflow_server: Proc, work: Path) -> dict:
    return _register(mlflow_server, work, "churn", 1)


@pytest.fixture(scope="session")
def golden(work: Path) -> Iterator[dict]:
    """The real feature repo definitions applied and materialized by Feast into SQLite and
    Redis (a unique project, so parallel runs never share keys), plus what the SDK reads."""
    project = f"svc_{uuid.uuid4().hex[:10]}"
    out = work / "golden.json"
    try:
        run_pex(
            GOLDEN_PEX,
            [
                "--home",
                str(work / "features_home"),
                "--project",
                project,
                "--out",
                str(out),
                "--redis-url",
                REDIS_URL,
            ],
            cwd=work,
        )
        yield json.loads(out.read_text())
    finally:
        delete_project_keys(REDIS_URL, project)


def native_scores(
    mlflow: Proc, work: Path, model: str, version: str, rows: list[dict], engine: str = "native"
) -> list[float]:
    """Probabilities of the version's native sklearn Pipeline (the offline reference), or with
    ``engine="pyfunc"`` of ``mlflow.pyfunc.load_model("models:/<name>@champion")``: the
    registered ONNX graph as MLflow users load it."""
    path = work / f"rows_{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(rows))
    out = run_pex(
        FIXTURE_PEX,
        ["score", model, "--tracking-uri", mlflow.url, "--version", version, "--rows", str(path),
         "--engine", engine],
        cwd=work,
    )  # fmt: skip
    return json.loads(out)
