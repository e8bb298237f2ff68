"""A small client of Airflow 3's REST API: log in, list and unpause DAGs, trigger and wait.

Standard library only, so ``lab.sh`` can run it with any Python 3.11 and the tests with the
ops resolve. The calls are the documented public API (``/auth/token``, ``/api/v2/...``), the
same a user makes with curl; nothing reaches into Airflow's database.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TERMINAL_STATES = {"success", "failed"}


def _now_iso() -> str:
    return datetime.now(tz=UTC).isoformat()


class AirflowApiError(RuntimeError):
    """Airflow answered with an error, or a run did not finish as asked."""


@dataclass
class AirflowClient:
    base_url: str
    username: str
    password: str
    timeout_s: float = 30.0
    _token: str | None = field(default=None, repr=False)

    def _call(self, method: str, path: str, body: object | None = None, auth: bool = True) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url.rstrip('/')}{path}", data, method=method)
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token()}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = response.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:500]
            raise AirflowApiError(f"{method} {path} answered {err.code}: {detail}") from err
        except OSError as err:
            raise AirflowApiError(f"{method} {path} failed: {err}; is the API server up?") from err
        return json.loads(payload) if payload else {}

    def token(self) -> str:
        if self._token is None:
            answer = self._call(
                "POST",
                "/auth/token",
                {"username": self.username, "password": self.password},
                auth=False,
            )
            self._token = str(answer["access_token"])
        return self._token

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/api/v2/monitor/health", auth=False)

    def dag_ids(self) -> list[str]:
        answer = self._call("GET", "/api/v2/dags?limit=1000")
        return sorted(d["dag_id"] for d in answer["dags"])

    def import_errors(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/api/v2/importErrors")["import_errors"])

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(
        self, dag_id: str, *, logical_date: str | None = None, conf: dict | None = None
    ) -> str:
        body: dict[str, Any] = {"logical_date": logical_date, "conf": conf or {}}
        return str(self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        answer = self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {t["task_id"]: str(t["state"]) for t in answer["task_instances"]}

    def xcom(self, dag_id: str, run_id: str, task_id: str) -> Any:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
        return self._call("GET", path).get("value")

    def wait(
        self,
        dag_id: str,
        run_id: str,
        *,
        timeout_s: float = 1800,
        poll_s: float = 5,
        log: Callable[[str], None] = print,
    ) -> dict[str, str]:
        """Poll until the run ends; its task states on success, AirflowApiError otherwise."""
        deadline = time.monotonic() + timeout_s
        shown: dict[str, str] = {}
        while True:
            state = self.run_state(dag_id, run_id)
            tasks = self.task_states(dag_id, run_id)
            for task_id, task_state in tasks.items():
                if shown.get(task_id) != task_state and task_state not in {"None", "scheduled"}:
                    log(f"  {dag_id}.{task_id}: {task_state}")
            shown = tasks
            if state in TERMINAL_STATES:
                break
            if time.monotonic() > deadline:
                raise AirflowApiError(f"{dag_id} run {run_id} still {state} after {timeout_s:.0f}s")
            time.sleep(poll_s)
        if state != "success":
            failed = [t for t, s in tasks.items() if s not in {"success", "skipped"}]
            raise AirflowApiError(
                f"{dag_id} run {run_id} ended {state}; tasks not successful: {failed}. "
                "Read their logs in the Airflow UI or under AIRFLOW_HOME/logs."
            )
        return tasks

    def is_paused(self, dag_id: str) -> bool:
        return bool(self._call("GET", f"/api/v2/dags/{dag_id}")["is_paused"])

    def run_ids(self, dag_id: str) -> list[str]:
        answer = self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns?order_by=-run_after&limit=20")
        return [str(r["dag_run_id"]) for r in answer["dag_runs"]]

    def run_scheduled(
        self, dag_id: str, *, timeout_s: float = 1800, log: Callable[[str], None] = print
    ) -> tuple[str, dict[str, str]]:
        """Let the scheduler run the DAG: unpause it and wait for the run it creates.

        A paused DAG with ``catchup=False`` gets one run for its latest schedule point as soon
        as it is unpaused; that run (not a manual trigger) is what this waits for. A DAG that
        already runs on its schedule is triggered once, as an operator would from the UI.
        """
        before = set(self.run_ids(dag_id))
        if self.is_paused(dag_id):
            self.unpause(dag_id)
            log(f"{dag_id}: unpaused; waiting for the scheduler's run")
            deadline = time.monotonic() + 180
            while not (new := [r for r in self.run_ids(dag_id) if r not in before]):
                if time.monotonic() > deadline:
                    raise AirflowApiError(f"{dag_id}: the scheduler created no run within 180s")
                time.sleep(2)
            run_id = new[0]
        else:
            run_id = self.trigger(dag_id, logical_date=_now_iso())
            log(f"{dag_id}: triggered {run_id}")
        return run_id, self.wait(dag_id, run_id, timeout_s=timeout_s, log=log)
