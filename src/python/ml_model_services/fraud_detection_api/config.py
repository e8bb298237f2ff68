"""Settings of the fraud API: the shared service settings with fraud defaults.

Environment: ``MLOPS_SERVICE_*`` (see ``common_service_libs.settings``) and the platform's
``MLOPS_PROFILE``, ``MLOPS_HOME``, ``MLOPS_REDIS_URL``, ``MLOPS_MLFLOW_TRACKING_URI``.
"""

from __future__ import annotations

from ml_model_services.common_service_libs.settings import ServiceSettings
from mlops_common.contracts.features import FRAUD

SERVICE_NAME = "fraud-detection-api"
DEFAULT_PORT = 8001


class FraudServiceSettings(ServiceSettings):
    name: str = SERVICE_NAME
    port: int = DEFAULT_PORT
    registered_model_name: str = FRAUD.registered_model_name
