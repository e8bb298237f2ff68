"""Copy a model API's shadow log to this host before ``promote-challenger`` reads it.

On the servers the API (server 3) writes ``<root>/<model>/<day>.jsonl`` and the promotion DAG
(server 2) reads ``MLOPS_SHADOW_ROOT`` on its own host. The days come over the API's
``GET /admin/shadow-log?day=`` (complete lines only). A local copy is replaced only by a
longer one: day files only grow, so a shorter answer (a rebuilt serving host) never shrinks the
evidence already copied. Each file is written atomically (a reader never sees half a copy).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from mlops_common.atomic_files import atomic_write_bytes
from mlops_common.shadow_log import day_file
from mlops_orchestration_pipelines.utils.internal_api_client import InternalApiClient


def pull_shadow_log(
    client: InternalApiClient, root: Path, model: str, days: int, today: date
) -> dict[str, int]:
    """Copy the last ``days`` UTC days up to ``today``; returns bytes kept per day copied."""
    copied: dict[str, int] = {}
    for back in range(days):
        day = today - timedelta(days=back)
        data = client.shadow_log_day(day.isoformat())
        if data is None:
            continue
        path = day_file(root, model, day)
        if path.exists() and path.stat().st_size >= len(data):
            continue  # nothing new (or the service lost its copy: keep ours)
        atomic_write_bytes(path, data)
        copied[day.isoformat()] = len(data)
    return copied
