"""Entry point of the fraud API (the ``fraud-detection-api`` PEX).

    python3.11 fraud-detection-api.pex --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

from fastapi import FastAPI

from ml_model_services.common_service_libs.runner import run_service
from ml_model_services.common_service_libs.service_app import build_app
from ml_model_services.fraud_detection_api.config import FraudServiceSettings
from ml_model_services.fraud_detection_api.service_definition import DEFINITION


def create_app(settings: FraudServiceSettings | None = None) -> FastAPI:
    return build_app(DEFINITION, settings or FraudServiceSettings())


def main(argv: list[str] | None = None) -> int:
    return run_service(create_app, FraudServiceSettings, argv)


if __name__ == "__main__":
    raise SystemExit(main())
