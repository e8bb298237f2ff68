"""A pure-ASGI fast path for the single-prediction endpoint (the hot path under load).

FastAPI's per-request machinery (dependency solving, ``Request`` objects, exception
middleware, response model handling) costs ~130 µs of CPU per request here — about as much
as everything else in a prediction. The observability middleware answers ``POST
<prefix>/score`` through this route directly (a :class:`~.monitoring_middleware.FastRoute`):
API-key check, body read with the size limit, ``model_validate_json`` (pydantic-core, the same
schema), the service layer, one ``orjson.dumps``. Errors use the same JSON shape and codes as
the FastAPI handlers. The FastAPI route of the same path stays declared, so OpenAPI documents
it, and the tests exercise this path through a real server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.types import Receive, Scope

from ml_model_services.common_service_libs.auth import ApiKeyAuth
from ml_model_services.common_service_libs.error_handlers import (
    ServiceError,
    error_body,
    validation_reason,
)

log = logging.getLogger(__name__)

# (validated request fields, access-log fields) -> response payload
Handler = Callable[[dict[str, Any], dict[str, Any]], Awaitable[dict[str, Any]]]


class FastScorePath:
    """``POST <path>``: one prediction, answered as ``(status, JSON bytes)``."""

    def __init__(
        self,
        *,
        path: str,
        model: type[BaseModel],
        auth: ApiKeyAuth,
        handler: Handler,
        max_body_bytes: int = 1_048_576,
    ) -> None:
        self.path = path
        self.model = model
        self.auth = auth
        self.handler = handler
        self.max_body_bytes = max_body_bytes

    async def respond(
        self, scope: Scope, receive: Receive, request_id: str, log_fields: dict[str, Any]
    ) -> tuple[int, bytes]:
        status, payload = await self._serve(scope, receive, request_id, log_fields)
        return status, orjson.dumps(payload)

    async def _read_body(self, receive: Receive) -> bytes | tuple[int, dict[str, Any]]:
        """The whole body, or the error to answer (client gone, over the size limit)."""
        chunks = []
        size, limit = 0, self.max_body_bytes
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return 400, error_body("bad_request", "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                reason = f"request body larger than {limit} bytes"
                return 413, error_body("payload_too_large", reason)
            chunks.append(chunk)
            if not message.get("more_body"):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _serve(
        self, scope: Scope, receive: Receive, request_id: str, log_fields: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        api_key = content_type = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                api_key = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value
        if not self.auth.check(api_key):
            reason = "missing API key" if not api_key else "invalid API key"
            return 401, error_body("unauthorized", reason)
        body = await self._read_body(receive)
        if isinstance(body, tuple):
            return body
        if content_type is not None and b"json" not in content_type.lower():
            return 422, error_body("invalid_request", "body: send application/json")
        try:
            fields = self.model.model_validate_json(body).model_dump()
        except ValidationError as exc:
            return 422, error_body("invalid_request", validation_reason(exc))
        try:
            return 200, await self.handler(fields, log_fields)
        except ServiceError as exc:
            return exc.status_code, error_body(exc.code, exc.reason)
        except Exception as exc:  # - never a traceback to the client
            log.error(
                "unhandled error: %s: %s",
                type(exc).__name__,
                exc,
                exc_info=exc,
                extra={"request_id": request_id, "path": self.path},
            )
            return 500, error_body(
                "internal_error", "unexpected server error; see logs", request_id=request_id
            )
