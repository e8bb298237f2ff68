"""A pure-ASGI fast path for the single-prediction endpoint (the hot path under load).

FastAPI's per-request machinery (dependency solving, ``Request`` objects, exception
middleware, response model handling) costs ~130 µs of CPU per request here — about as much
as everything else in a prediction. This middleware serves ``POST <prefix>/score`` directly:
API-key check, body read (size limit enforced by the observability middleware),
``model_validate_json`` (pydantic-core, the same schema), the service layer, orjson. Errors use
the same JSON shape and codes as the FastAPI handlers. The FastAPI route of the same path
stays declared, so OpenAPI documents it, and the tests exercise this path through a real
server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from ml_model_services.common_service_libs.auth import ApiKeyAuth
from ml_model_services.common_service_libs.error_handlers import (
    ServiceError,
    error_body,
    validation_reason,
)

log = logging.getLogger(__name__)
JSON_HEADERS = [(b"content-type", b"application/json")]

# (validated request fields, scope state log dict) -> response payload
Handler = Callable[[dict[str, Any], dict[str, Any]], Awaitable[dict[str, Any]]]


class FastScorePath:
    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        model: type[BaseModel],
        auth: ApiKeyAuth,
        handler: Handler,
        route_lookup: Callable[[], Any],
    ) -> None:
        self.app = app
        self.path = path
        self.model = model
        self.auth = auth
        self.handler = handler
        self.route_lookup = route_lookup
        self._route = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if self._route is None:
            self._route = self.route_lookup()
        scope["route"] = self._route  # the metrics/log label, as FastAPI would set it
        status, payload = await self._serve(scope, receive)
        body = orjson.dumps(payload)
        await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": body})

    async def _serve(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        api_key = content_type = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                api_key = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value
        if not self.auth.check(api_key):
            reason = "missing API key" if not api_key else "invalid API key"
            return 401, error_body("unauthorized", reason)
        chunks = []
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return 400, error_body("bad_request", "client disconnected")
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
        except StarletteHTTPException as exc:  # the size limit of the observability middleware
            return exc.status_code, error_body("payload_too_large", str(exc.detail))
        if content_type is not None and b"json" not in content_type.lower():
            return 422, error_body("invalid_request", "body: send application/json")
        try:
            fields = self.model.model_validate_json(b"".join(chunks)).model_dump()
        except ValidationError as exc:
            return 422, error_body("invalid_request", validation_reason(exc))
        state = scope.get("state", {})
        try:
            return 200, await self.handler(fields, state.get("log", {}))
        except ServiceError as exc:
            return exc.status_code, error_body(exc.code, exc.reason)
        except Exception as exc:  # - never a traceback to the client
            request_id = state.get("request_id", "")
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
