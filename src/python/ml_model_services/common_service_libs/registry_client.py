"""The MLflow REST calls the services need, with httpx: no ``mlflow`` in the serving image.

All three are MLflow's documented REST API:

1. ``GET /api/2.0/mlflow/registered-models/alias?name=..&alias=champion``: version and run;
2. ``GET /api/2.0/mlflow/model-versions/get-download-uri?name=..&version=..``: where that
   version's files are (the registered model is the ONNX graph, an ``mlflow.onnx`` model,
   so its folder holds ``model.onnx``), an ``mlflow-artifacts:/…`` URI when the tracking
   server proxies artifacts (``mlflow server --serve-artifacts``, the default, with
   ``--artifacts-destination``, as the quickstart, the lab and the ``mlflow_server`` role run it);
3. ``GET /api/2.0/mlflow-artifacts/artifacts/<path>/model.onnx``: the graph's bytes.

The service thus downloads exactly the files of the registered version, not a run artifact
by convention. Every failure is a :class:`~.model_ref.ModelSourceError`, which the handler
turns into "try the cache".
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx

from ml_model_services.common_service_libs.model_ref import ModelAbsent, ModelSourceError

PROXIED_SCHEME = "mlflow-artifacts"
ARTIFACTS_ROUTE = "/api/2.0/mlflow-artifacts/artifacts/"
ONNX_MODEL_FILE = "model.onnx"  # the file of an ``mlflow.onnx`` model


class MlflowRegistryClient:
    """Registry alias → version, and artifact download, against an MLflow tracking server."""

    def __init__(self, tracking_uri: str, timeout_s: float = 10.0) -> None:
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout_s

    @staticmethod
    def serves(tracking_uri: str | None) -> bool:
        """Only an ``http(s)://`` tracking URI is a server this client can talk to."""
        return bool(tracking_uri) and str(tracking_uri).startswith(("http://", "https://"))

    def _get(
        self, path: str, params: dict[str, str], *, absent_if_refused: bool = False
    ) -> httpx.Response:
        """``absent_if_refused``: a 400/404 answer means "no such thing" (:class:`ModelAbsent`).
        MLflow answers an unset alias with 400 ``INVALID_PARAMETER_VALUE`` "Registered model
        alias ... not found" (404 ``RESOURCE_DOES_NOT_EXIST`` for an unknown model)."""
        try:
            response = httpx.get(f"{self.base}{path}", params=params, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ModelSourceError(f"MLflow at {self.base} unreachable: {exc}") from exc
        if absent_if_refused and response.status_code in (400, 404):
            raise ModelAbsent(f"MLflow {path} {params}: {response.text[:300]}")
        if response.status_code != 200:
            raise ModelSourceError(
                f"MLflow {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response

    def version_for_alias(self, name: str, alias: str) -> tuple[str, str]:
        """``(version, run_id)`` the alias points at."""
        version, run_id, _ = self.alias_version(name, alias)
        return version, run_id

    def alias_version(self, name: str, alias: str) -> tuple[str, str, dict[str, str]]:
        """``(version, run_id, tags)`` of the version the alias points at.

        :class:`ModelAbsent` when MLflow answers that no version has the alias.
        """
        body = self._get(
            "/api/2.0/mlflow/registered-models/alias",
            {"name": name, "alias": alias},
            absent_if_refused=True,
        ).json()
        mv = body.get("model_version") or {}
        if "version" not in mv:
            raise ModelAbsent(f"no version of {name} has alias {alias!r}")
        tags = {str(t.get("key")): str(t.get("value")) for t in mv.get("tags") or ()}
        return str(mv["version"]), str(mv.get("run_id", "")), tags

    def download_uri(self, name: str, version: str) -> str:
        """The artifact URI of one registered version's files."""
        body = self._get(
            "/api/2.0/mlflow/model-versions/get-download-uri", {"name": name, "version": version}
        ).json()
        uri = body.get("artifact_uri")
        if not uri:
            raise ModelSourceError(f"MLflow gave no download URI for {name} version {version}")
        return str(uri)

    def download(self, name: str, version: str, filename: str = ONNX_MODEL_FILE) -> bytes:
        """The bytes of one file of a registered version (by default its ONNX graph)."""
        uri = self.download_uri(name, version)
        parts = urlsplit(uri)
        if parts.scheme != PROXIED_SCHEME:
            raise ModelSourceError(
                f"{name} version {version} lives at {uri}, which the tracking server does not"
                " serve: run `mlflow server` with --serve-artifacts and --artifacts-destination"
                " (the default setup) and register the model through that server"
            )
        path = quote(f"{parts.path.strip('/')}/{filename}")
        return self._get(ARTIFACTS_ROUTE + path, {}).content
