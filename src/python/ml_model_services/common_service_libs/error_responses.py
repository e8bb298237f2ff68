"""The one error body every model API answers with, as OpenAPI documents it.

Every error leaves the services as ``{"error": {"code": ..., "reason": ...}}``
(:mod:`error_handlers`, the fast score path, the body-size limit). FastAPI would document a
422 as its own ``HTTPValidationError`` (``{"detail": [...]}``), a body the services never
send, and nothing at all for 401/413/503; clients generated from such a schema then fail to
parse the errors they actually get. Routes therefore list their real error statuses with
:func:`error_responses`, and :func:`use_error_response_for_validation` replaces whatever
default 422 FastAPI still adds, so the schema and the wire agree (the services' schemathesis
tests check every response against the schema).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

REF = "#/components/schemas/"
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

DESCRIPTIONS: dict[int, str] = {
    401: "Missing or invalid API key: send one of the service's keys in `x-api-key`"
    " (code `unauthorized`).",
    413: "Request body larger than MLOPS_SERVICE_MAX_BODY_BYTES (code `payload_too_large`).",
    422: "Invalid request: the reason names each wrong field and what it must be"
    " (code `invalid_request`).",
    503: "No model loaded yet, or the registry is unreachable (code `model_unavailable` or"
    " `registry_unavailable`); retry later.",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable cause, e.g. `invalid_request`.")
    reason: str = Field(description="What went wrong and how to fix it; never a traceback.")
    request_id: str | None = Field(
        default=None, description="5xx only: the request id of the service's log line."
    )


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail


def error_responses(
    *statuses: int, described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status documented with :class:`ErrorResponse`.

    ``described`` overrides the generic description of a status for this route (e.g. what
    makes a batch too large).
    """
    texts = {**DESCRIPTIONS, **(described or {})}
    return {status: {"model": ErrorResponse, "description": texts[status]} for status in statuses}


def batch_limit_reason(items: int, limit: int) -> str:
    """The 413 reason of a batch over the one batch limit (the setting ``max_batch``)."""
    return (
        f"the batch has {items} items, more than the limit of {limit} (MLOPS_SERVICE_MAX_BATCH):"
        f" split it into batches of at most {limit} items"
    )


def batch_limit_description(limit: int) -> str:
    return (
        f"More than {limit} items (MLOPS_SERVICE_MAX_BATCH; code `batch_too_large`): split the"
        " batch. Or a body larger than MLOPS_SERVICE_MAX_BODY_BYTES (code `payload_too_large`)."
    )


def _replace_validation_refs(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref == REF + "HTTPValidationError":
            return {"$ref": REF + "ErrorResponse"}
        return {key: _replace_validation_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_validation_refs(value) for value in node]
    return node


def use_error_response_for_validation(app: FastAPI) -> None:
    """Generate ``app``'s OpenAPI with :class:`ErrorResponse` wherever FastAPI put its 422.

    A route that declares ``422`` in ``responses=`` already gets ours (FastAPI then adds no
    default); this catches every route that does not, including ones added later.
    """

    generate = app.openapi  # FastAPI's own (caches into app.openapi_schema)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:  # only this function fills it
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if any(name in components for name in FASTAPI_VALIDATION_SCHEMAS):
            schema = _replace_validation_refs(schema)
            components = schema["components"]["schemas"]
            for name in FASTAPI_VALIDATION_SCHEMAS:
                components.pop(name, None)
            if "ErrorResponse" not in components:
                components.update(_error_response_components())
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error_response_components() -> dict[str, Any]:
    """``ErrorResponse`` and ``ErrorDetail`` as OpenAPI components (refs to components)."""
    schema = ErrorResponse.model_json_schema(ref_template=REF + "{model}")
    definitions = schema.pop("$defs", {})
    return {"ErrorResponse": schema, **definitions}
