"""The failure notifier every platform task carries (``on_failure_callback`` in DAG defaults).

A task that fails after its retries appends one JSON line to
``$MLOPS_HOME/notifications/failures.jsonl`` — the file the on-call tooling tails on every
profile — and, when the Airflow Connection ``mlops_alert_webhook`` exists (an HTTP endpoint,
e.g. a chat webhook), posts the same record there. A notifier that fails must not hide the
task's own failure, so delivery errors are logged, not raised.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.sdk import BaseNotifier

from mlops_common.settings import PlatformSettings

WEBHOOK_CONN_ID = "mlops_alert_webhook"


def failures_log() -> Path:
    return PlatformSettings().home / "notifications" / "failures.jsonl"


def failure_record(context: Any) -> dict[str, Any]:
    """What on-call needs: which run and task failed, why, and where the log is."""
    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    return {
        "at": datetime.now(tz=UTC).isoformat(),
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": context.get("run_id"),
        "try_number": getattr(ti, "try_number", None),
        "error": f"{type(exception).__name__}: {exception}"[:500] if exception else None,
        "log_url": getattr(ti, "log_url", None),
    }


class FailureNotifier(BaseNotifier):
    """Records a task failure in the notifications log and, if configured, a webhook."""

    def __init__(self, webhook_conn_id: str = WEBHOOK_CONN_ID) -> None:
        super().__init__()
        self.webhook_conn_id = webhook_conn_id

    def notify(self, context: Any) -> None:
        record = failure_record(context)
        path = failures_log()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        self._post_webhook(record)

    def _post_webhook(self, record: dict[str, Any]) -> None:
        from airflow.sdk.exceptions import AirflowNotFoundException

        from mlops_orchestration_pipelines.utils.internal_api_hook import InternalApiHook

        try:
            client = InternalApiHook(self.webhook_conn_id).get_conn()
        except AirflowNotFoundException:
            return
        try:
            client.request("POST", "", json=record)
        except Exception as exc:  # - the task's failure matters more than the alert's
            self.log.warning("failure notification to %s not sent: %s", self.webhook_conn_id, exc)
