"""The two MLflow REST calls the services need, with httpx: no ``mlflow`` in the serving image.

``GET /api/2.0/mlflow/registered-models/alias?name=..&alias=champion`` gives the version and
run; ``GET /get-artifact?run_uuid=..&path=onnx/model.onnx`` the graph (the trainer logs it
there, see :mod:`mlops_common.contracts.onnx_signature`). Every failure is a
:class:`~.model_ref.ModelSourceError`, which the handler turns into "try the cache".
"""

from __future__ import annotations

import httpx

from ml_model_services.common_service_libs.model_ref import ModelSourceError
from mlops_common.contracts.onnx_signature import ONNX_ARTIFACT_PATH


class MlflowRegistryClient:
    """Registry alias → version, and artifact download, against an MLflow tracking server."""

    def __init__(self, tracking_uri: str, timeout_s: float = 10.0) -> None:
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout_s

    @staticmethod
    def serves(tracking_uri: str | None) -> bool:
        """Only an ``http(s)://`` tracking URI is a server this client can talk to."""
        return bool(tracking_uri) and str(tracking_uri).startswith(("http://", "https://"))

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        try:
            response = httpx.get(f"{self.base}{path}", params=params, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ModelSourceError(f"MLflow at {self.base} unreachable: {exc}") from exc
        if response.status_code != 200:
            raise ModelSourceError(
                f"MLflow {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response

    def version_for_alias(self, name: str, alias: str) -> tuple[str, str]:
        """``(version, run_id)`` the alias points at."""
        body = self._get(
            "/api/2.0/mlflow/registered-models/alias", {"name": name, "alias": alias}
        ).json()
        mv = body.get("model_version") or {}
        if "version" not in mv:
            raise ModelSourceError(f"no version of {name} has alias {alias!r}")
        return str(mv["version"]), str(mv.get("run_id", ""))

    def download(self, run_id: str, path: str = ONNX_ARTIFACT_PATH) -> bytes:
        """The bytes of one run artifact (by default the ONNX graph)."""
        return self._get("/get-artifact", {"run_uuid": run_id, "path": path}).content
