"""Calls the model services' admin API (e.g. reload the champion after a promotion).

The HTTP transport behind ``InternalApiHook`` (``internal_api_hook.py``), which builds it from
an Airflow Connection; shared instead of ad-hoc HTTP calls in DAGs so auth, timeouts and error
messages are the same everywhere. The API key is the Connection's password or, without one, the
environment (``MLOPS_SERVICE_API_KEY``), never DAG code.
"""

from __future__ import annotations

import os

import httpx


class InternalApiError(RuntimeError):
    """The service answered with an error or could not be reached."""


class InternalApiClient:
    """The services' admin and health endpoints, with the API key and one timeout."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("MLOPS_SERVICE_API_KEY")
        self.timeout_s = timeout_s

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key} if self.api_key else {}

    def request(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        url = f"{self.base_url}{path}"
        try:
            response = httpx.request(
                method, url, headers=self._headers(), timeout=self.timeout_s, **kwargs  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise InternalApiError(
                f"{method} {url} failed: {exc}; is the service running?"
            ) from exc
        if response.status_code >= 400:
            raise InternalApiError(
                f"{method} {url} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json() if response.content else {}

    def _answers(self, path: str) -> bool:
        try:
            self.request("GET", path)
        except InternalApiError:
            return False
        return True

    def is_live(self) -> bool:
        """The process answers (it may still wait for its first model: not *ready* yet)."""
        return self._answers("/health/live")

    def is_ready(self) -> bool:
        """A model is loaded and the service takes traffic."""
        return self._answers("/health/ready")

    def reload_model(self) -> dict[str, object]:
        """Ask the service to load the registry's current champion."""
        return self.request("POST", "/admin/reload")

    def shadow_log_day(self, day: str) -> bytes | None:
        """One UTC day (``YYYY-MM-DD``) of the service's shadow log, ``None`` if it has none."""
        url = f"{self.base_url}/admin/shadow-log"
        try:
            response = httpx.get(
                url, params={"day": day}, headers=self._headers(), timeout=self.timeout_s
            )
        except httpx.HTTPError as exc:
            raise InternalApiError(f"GET {url} failed: {exc}; is the service running?") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise InternalApiError(
                f"GET {url}?day={day} answered {response.status_code}: {response.text[:300]}"
            )
        return response.content
