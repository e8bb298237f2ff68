"""Settings of the churn API: the shared service settings with churn defaults."""

from __future__ import annotations

from ml_model_services.common_service_libs.settings import ServiceSettings
from mlops_common.contracts.features import CHURN

SERVICE_NAME = "customer-churn-api"
DEFAULT_PORT = 8002


class ChurnServiceSettings(ServiceSettings):
    name: str = SERVICE_NAME
    port: int = DEFAULT_PORT
    registered_model_name: str = CHURN.registered_model_name
