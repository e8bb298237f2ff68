"""MLflow tracking and registry helpers: where runs go and how versions get their aliases.

Embedded profile: SQLite database and file artifacts under ``$MLOPS_HOME/mlflow`` (never
``./mlruns``). Servers profile: the MLflow tracking server (PostgreSQL backend), which stores
artifacts itself. Promotion uses the aliases ``challenger`` and ``champion``; stages are
deprecated in MLflow 3.

The registered model is the ONNX graph (``mlflow.onnx``), what the services serve; the
sklearn Pipeline of the same run is found through the ``sklearn_model_uri`` tag
(:func:`native_model_uri`).
"""

from __future__ import annotations

from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

from mlops_common.settings import PlatformSettings

# Run and model-version tag: ``models:/m-…`` URI of the run's native sklearn Pipeline.
NATIVE_MODEL_TAG = "sklearn_model_uri"


def tracking_uri(platform: PlatformSettings) -> str:
    """Explicit ``MLOPS_MLFLOW_TRACKING_URI``, else SQLite (embedded) or the local server."""
    return platform.resolved_mlflow_tracking_uri()


def configure(platform: PlatformSettings) -> str:
    """Point mlflow at the platform's tracking server/DB and registry; return the URI."""
    uri = tracking_uri(platform)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def ensure_experiment(name: str, platform: PlatformSettings) -> str:
    """Create the experiment if needed; with a local DB, artifacts go under $MLOPS_HOME."""
    client = MlflowClient()
    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    artifact_location = None
    if tracking_uri(platform).startswith("sqlite:"):
        root = (platform.home / "mlflow" / "artifacts").resolve()
        root.mkdir(parents=True, exist_ok=True)
        artifact_location = root.as_uri()
    return client.create_experiment(name, artifact_location=artifact_location)


def register(model_uri: str, name: str, alias: str, tags: dict[str, str] | None = None) -> str:
    """Register ``model_uri`` under ``name``, set ``alias`` on it; return the version (str)."""
    client = MlflowClient()
    version = mlflow.register_model(model_uri, name, tags=tags)
    client.set_registered_model_alias(name, alias, str(version.version))
    return str(version.version)


def version_for_alias(name: str, alias: str):  # -> ModelVersion | None
    """The model version holding ``alias``, or ``None`` when the alias is not set."""
    client = MlflowClient()
    try:
        return client.get_model_version_by_alias(name, alias)
    except mlflow.exceptions.MlflowException:
        return None


def set_alias(name: str, alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(name, alias, str(version))


def native_model_uri(name: str, alias: str | None = None, version: str | None = None) -> str:
    """URI of the sklearn Pipeline behind one version (by ``alias`` or ``version``).

    Versions registered before the ONNX graph was the registered model have no tag: their
    registered model *is* the Pipeline, so its ``models:/`` URI is returned.
    """
    client = MlflowClient()
    if alias is not None:
        mv = client.get_model_version_by_alias(name, alias)
    else:
        mv = client.get_model_version(name, str(version))
    return mv.tags.get(NATIVE_MODEL_TAG) or f"models:/{name}/{mv.version}"
