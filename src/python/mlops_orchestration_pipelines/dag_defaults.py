"""Defaults every platform DAG shares, so integrity tests can hold all DAGs to them."""

from __future__ import annotations

from datetime import timedelta

DEFAULT_ARGS: dict[str, object] = {
    "owner": "mlops-platform",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
}

PLATFORM_TAG = "mlops-platform"
