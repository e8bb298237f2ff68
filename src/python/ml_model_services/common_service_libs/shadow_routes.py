"""``GET /admin/shadow-log``: one UTC day of the service's shadow log, for another host.

On the servers the model API (server 3) writes the shadow log and the daily
``promote_<model>_challenger`` DAG (server 2) reads it: the DAG's first task fetches the days
it needs over this route, with the same API key and Airflow connection it reloads the service
with, instead of a shared folder or an rsync job. Only complete lines are served (the worker
may be appending the next one), so a copy is always a valid prefix of the day file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import APIRouter, Query
from fastapi.params import Depends
from fastapi.responses import Response

from ml_model_services.common_service_libs.error_handlers import ServiceError
from ml_model_services.common_service_libs.error_responses import error_responses
from mlops_common.shadow_log import day_file

NDJSON = "application/x-ndjson"


def complete_lines(path: Path) -> bytes:
    """The file up to its last newline (a line still being written is left out)."""
    data = path.read_bytes()
    return data[: data.rfind(b"\n") + 1]


def shadow_log_routes(root: Path, model: str, dependencies: list[Depends]) -> APIRouter:
    router = APIRouter(dependencies=dependencies, tags=["admin"])

    @router.get(
        "/admin/shadow-log",
        summary="One UTC day of the shadow log (JSON lines, mlops_common.shadow_log records)",
        response_class=Response,
        responses={
            200: {"content": {NDJSON: {}}, "description": "The day's complete records."},
            **error_responses(
                401,
                404,
                422,
                described={404: "No shadow log for that day on this service (code `not_found`)."},
            ),
        },
    )
    async def shadow_log_day(
        day: date = Query(description="UTC day, YYYY-MM-DD"),
    ) -> Response:
        path = day_file(root, model, day)
        if not path.is_file():
            raise ServiceError(404, "not_found", f"no shadow log of {model} for {day} at {path}")
        return Response(complete_lines(path), media_type=NDJSON)

    return router
