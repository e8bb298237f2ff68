"""``lab.sh``'s Python half: the first pipeline run, status and tear-down of the lab.

    python -m platform_infrastructure.lab.cli first-pipeline   # features → training via Airflow
    python -m platform_infrastructure.lab.cli status           # what answers where
    python -m platform_infrastructure.lab.cli down [--purge]   # stop everything (drop lab_ DBs)
"""

from __future__ import annotations

import argparse
import shutil
import sys

from platform_infrastructure.lab.pipeline import (
    champion_version,
    first_pipeline,
    get_json,
    lab_from_env,
)
from platform_infrastructure.lab.topology import MODEL_APIS, SERVERS, Lab
from platform_infrastructure.postgres_admin import drop_prefixed

LAB_DB_PREFIX = "lab_"


def status(lab: Lab) -> int:
    checks = {
        "server2 Airflow API server": f"{lab.airflow_url}/api/v2/monitor/health",
        "server2 MLflow tracking server": f"{lab.mlflow_url}/health",
        **{f"server3 {s}": f"{lab.api_url(s)}/health/ready" for s in MODEL_APIS},
        "server3 Prometheus": f"{lab.prometheus_url}/-/ready",
        "server3 Alertmanager": f"{lab.alertmanager_url}/-/ready",
    }
    down = 0
    for name, url in checks.items():
        code, body = get_json(url, timeout=5)
        detail = body.get("detail", {}) if isinstance(body.get("detail"), dict) else {}
        version = f" (serves v{detail['model_version']})" if detail.get("model_version") else ""
        print(f"{'up  ' if code == 200 else 'DOWN'} {name:34} {url}{version}")
        down += code != 200
    for server in SERVERS:
        print(f"     {server} processes: {', '.join(lab.processes(server)) or 'none'}")
    if get_json(f"{lab.mlflow_url}/health")[0] == 200:
        for model, _ in MODEL_APIS.values():
            print(f"     registry champion of {model}: {champion_version(lab, model) or 'none'}")
    return 1 if down else 0


def stop_all(lab: Lab) -> None:
    """Stop every process the playbooks started, server 3 first (it depends on the others)."""
    for server in reversed(SERVERS):
        bin_dir = lab.server_root(server) / "bin"
        for launch in sorted(bin_dir.glob("*.sh")) if bin_dir.is_dir() else []:
            print(f"{server}: {lab.stop(server, launch.stem)}")


def purge(lab: Lab, prefix: str = LAB_DB_PREFIX, *, remove_files: bool = True) -> None:
    """Drop the lab's databases and login roles (all named ``lab_*``) and its files."""
    for what in drop_prefixed(prefix):
        print(f"dropped {what}")
    if remove_files:
        shutil.rmtree(lab.root, ignore_errors=True)
        print(f"removed {lab.root}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    first = sub.add_parser("first-pipeline", help="run features → training when no champion")
    first.add_argument("--force", action="store_true", help="run even if champions exist")
    sub.add_parser("status", help="what answers where")
    down = sub.add_parser("down", help="stop every lab process")
    down.add_argument("--purge", action="store_true", help="also drop lab_* databases and files")
    args = parser.parse_args(argv)
    lab = lab_from_env()
    if args.command == "first-pipeline":
        print(first_pipeline(lab, force=args.force))
        return 0
    if args.command == "status":
        return status(lab)
    stop_all(lab)
    if args.purge:
        purge(lab)
    return 0


if __name__ == "__main__":
    sys.exit(main())
