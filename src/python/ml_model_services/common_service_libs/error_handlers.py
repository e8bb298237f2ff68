"""Every error leaves the API as JSON with a machine code and a human reason.

Clients (and the Label Engine's callers) must never see a traceback or an HTML page: bad
input is a 4xx that says what to fix, and an unexpected failure is a 500 with a request id
that points at the log line, not at the code.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
# What FastAPI raises (as a 400) when it cannot decode a request body at all.
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


class ServiceError(Exception):
    """An error the service raises on purpose, with its HTTP status and code."""

    def __init__(self, status_code: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.code = code
        self.reason = reason


def error_body(code: str, reason: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "reason": reason, **extra}}


def validation_reason(exc: RequestValidationError | ValidationError) -> str:
    """``field: message; ...`` for the first five problems (no input values echoed)."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.reason), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", validation_reason(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == FASTAPI_BODY_PARSE_ERROR:
            # A body that is not even text (bad UTF-8): the same 422 as any other JSON that
            # does not parse, as the fast score path answers it and the schema documents.
            reason = "body: not valid UTF-8 JSON; send an application/json body"
            return JSONResponse(error_body("invalid_request", reason), status_code=422)
        code = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
            503: "unavailable",
        }.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id") or request.headers.get(
            "x-request-id", ""
        )
        log.error(
            "unhandled error: %s: %s",
            type(exc).__name__,
            exc,
            exc_info=exc,
            extra={"request_id": request_id, "path": request.url.path},
        )
        return JSONResponse(
            error_body(
                "internal_error", "unexpected server error; see logs", request_id=request_id
            ),
            status_code=500,
        )
