"""An Airflow hook over the platform's internal HTTP services, configured by Connections.

Each model service is the Connection ``mlops_<use_case>_api`` (conn type ``http``: host,
port, ``schema`` = URL scheme, password = the service's API key), defined the Airflow way —
``AIRFLOW_CONN_MLOPS_<USE_CASE>_API`` in JSON on the servers (Ansible role ``airflow``), the
UI, or a secrets backend — so URLs and keys never live in DAG code or pipeline variables.
The hook resolves the Connection and hands back :class:`InternalApiClient`, which keeps
timeouts and error messages the same for every caller.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from mlops_orchestration_pipelines.utils.internal_api_client import InternalApiClient


def service_conn_id(use_case: str) -> str:
    return f"mlops_{use_case}_api"


class InternalApiHook(BaseHook):
    conn_name_attr = "conn_id"
    default_conn_name = "mlops_fraud_detection_api"
    conn_type = "http"
    hook_name = "MLOps internal service"

    def __init__(self, conn_id: str = default_conn_name, timeout_s: float = 30.0) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.timeout_s = timeout_s

    def base_url(self) -> str:
        conn = self.get_connection(self.conn_id)
        if not conn.host:
            raise ValueError(
                f"Airflow connection {self.conn_id} has no host; set it, e.g. "
                f'AIRFLOW_CONN_{self.conn_id.upper()}=\'{{"conn_type": "http", '
                '"host": "10.0.0.3", "port": 8001, "schema": "http"}\''
            )
        host = conn.host if "://" in conn.host else f"{conn.schema or 'http'}://{conn.host}"
        return f"{host}:{conn.port}" if conn.port else host

    def get_conn(self) -> InternalApiClient:
        conn = self.get_connection(self.conn_id)
        # No password: the key comes from MLOPS_SERVICE_API_KEY; "" means a service without auth.
        return InternalApiClient(self.base_url(), api_key=conn.password, timeout_s=self.timeout_s)

    @classmethod
    def for_use_case(cls, use_case: str, **kwargs: Any) -> InternalApiHook | None:
        """The hook of a use case's service, or None when its Connection is not defined."""
        from airflow.sdk.exceptions import AirflowNotFoundException

        hook = cls(service_conn_id(use_case), **kwargs)
        try:
            hook.get_connection(hook.conn_id)
        except AirflowNotFoundException:
            return None
        return hook
