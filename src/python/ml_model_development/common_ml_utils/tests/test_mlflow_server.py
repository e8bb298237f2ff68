"""Servers profile: a real MLflow tracking server on loopback with a PostgreSQL backend
(``ml_model_development.testing.mlflow_server``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import onnx
import pytest
from mlflow.tracking import MlflowClient

from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.promotion import evaluate_and_promote
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer
from ml_model_development.testing.mlflow_server import running_mlflow_server
from mlops_common.contracts.features import CHURN
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH
from mlops_common.settings import DEFAULT_MLFLOW_SERVER_URI, PlatformSettings, Profile


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_mlflow_server(tmp_path_factory.mktemp("mlflow_server")) as uri:
        yield uri


def test_train_register_and_promote_against_server(mlflow_server: str, mlops_home: Path) -> None:
    platform = PlatformSettings(
        home=mlops_home, profile=Profile.SERVERS, mlflow_tracking_uri=mlflow_server
    )
    assert mlflow_utils.tracking_uri(platform) == mlflow_server
    settings = ChurnTrainingSettings(hyperparameters={"n_estimators": 20, "num_leaves": 7})
    trainer = CustomerChurnTrainer(settings=settings, platform=platform)
    result = trainer.run()
    assert result.model_version == "1"  # versions are strings through the server
    decision = evaluate_and_promote(CustomerChurnTrainer(settings=settings, platform=platform))
    assert decision.promoted

    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    champion = client.get_model_version_by_alias(CHURN.registered_model_name, "champion")
    assert str(champion.version) == "1" and champion.run_id == result.run_id
    local = client.download_artifacts(result.run_id, ONNX_ARTIFACT_PATH, str(mlops_home))
    assert [o.name for o in onnx.load(local).graph.output] == ["label", "probabilities"]
    # the server, not the client, stored the artifacts (proxied artifact access)
    run = client.get_run(result.run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")

    # What the services do (documented REST API, no mlflow client): the version's download URI
    # is a proxied one and the artifacts API serves the registered ONNX graph's bytes.
    uri = httpx.get(
        f"{mlflow_server}/api/2.0/mlflow/model-versions/get-download-uri",
        params={"name": CHURN.registered_model_name, "version": "1"},
        timeout=10,
    ).json()["artifact_uri"]
    assert uri.startswith("mlflow-artifacts:/")
    path = uri.removeprefix("mlflow-artifacts:").lstrip("/")
    graph = httpx.get(
        f"{mlflow_server}/api/2.0/mlflow-artifacts/artifacts/{path}/model.onnx", timeout=10
    )
    assert graph.status_code == 200 and graph.content == Path(local).read_bytes()


def test_servers_profile_defaults_to_local_server() -> None:
    platform = PlatformSettings(profile=Profile.SERVERS)
    assert mlflow_utils.tracking_uri(platform) == DEFAULT_MLFLOW_SERVER_URI
    assert mlflow_utils.tracking_uri(PlatformSettings()).startswith("sqlite:///")
