"""Entry point of the churn API (the ``customer-churn-api`` PEX).

    python3.11 customer-churn-api.pex --host 127.0.0.1 --port 8002
"""

from __future__ import annotations

from fastapi import FastAPI

from ml_model_services.common_service_libs.runner import run_service
from ml_model_services.common_service_libs.service_app import build_app
from ml_model_services.customer_churn_api.config import ChurnServiceSettings
from ml_model_services.customer_churn_api.service_definition import DEFINITION


def create_app(settings: ChurnServiceSettings | None = None) -> FastAPI:
    return build_app(DEFINITION, settings or ChurnServiceSettings())


def main(argv: list[str] | None = None) -> int:
    return run_service(create_app, ChurnServiceSettings, argv)


if __name__ == "__main__":
    raise SystemExit(main())
