"""Command line of every model API PEX: ``--host``, ``--port``, ``--log-level``.

uvicorn runs one process with uvloop and httptools (``uvicorn[standard]``); its own access
log is off because the service writes one JSON line per request itself.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TypeVar

from fastapi import FastAPI

from ml_model_services.common_service_libs.auth import AuthConfigError
from ml_model_services.common_service_libs.settings import ServiceSettings
from mlops_common.json_logging import configure_json_logging

S = TypeVar("S", bound=ServiceSettings)


def run_service(
    create_app: Callable[[S], FastAPI],
    settings_class: type[S],
    argv: list[str] | None = None,
) -> int:
    settings = settings_class()
    parser = argparse.ArgumentParser(prog=settings.name, description=f"Run {settings.name}.")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    import uvicorn

    configure_json_logging(args.log_level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per registry call is noise
    try:
        app = create_app(settings)
    except AuthConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.getLogger(__name__).info(
        "starting", extra={"service": settings.name, "host": args.host, "port": args.port}
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,
        log_config=None,
        log_level=args.log_level,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return 0
