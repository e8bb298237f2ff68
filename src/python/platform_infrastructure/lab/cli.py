"""``lab.sh``'s Python half: the first pipeline run, status and tear-down of the lab.

    python -m platform_infrastructure.lab.cli first-pipeline   # features → training via Airflow
    python -m platform_infrastructure.lab.cli status           # what answers where
    python -m platform_infrastructure.lab.cli down [--purge]   # stop everything (drop lab_ DBs)

Keeps the CLI contract (mlops_common.cli_contract): the readable lines on stderr, one JSON
result on stdout; ``status`` exits 3 (flagged) when something answers DOWN.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import Any

from mlops_common.cli_contract import CONTRACT_HELP, eprint, run_cli
from platform_infrastructure.lab.pipeline import (
    champion_version,
    first_pipeline,
    get_json,
    lab_from_env,
)
from platform_infrastructure.lab.topology import MODEL_APIS, SERVERS, Lab
from platform_infrastructure.postgres_admin import drop_prefixed

LAB_DB_PREFIX = "lab_"


def status(lab: Lab) -> dict[str, Any]:
    checks = {
        "server2 Airflow API server": f"{lab.airflow_url}/api/v2/monitor/health",
        "server2 MLflow tracking server": f"{lab.mlflow_url}/health",
        **{f"server3 {s}": f"{lab.api_url(s)}/health/ready" for s in MODEL_APIS},
        "server3 Prometheus": f"{lab.prometheus_url}/-/ready",
        "server3 Alertmanager": f"{lab.alertmanager_url}/-/ready",
    }
    down: list[str] = []
    for name, url in checks.items():
        code, body = get_json(url, timeout=5)
        detail = body.get("detail", {}) if isinstance(body.get("detail"), dict) else {}
        version = f" (serves v{detail['model_version']})" if detail.get("model_version") else ""
        eprint(f"{'up  ' if code == 200 else 'DOWN'} {name:34} {url}{version}")
        if code != 200:
            down.append(name)
    processes = {server: lab.processes(server) for server in SERVERS}
    for server, names in processes.items():
        eprint(f"     {server} processes: {', '.join(names) or 'none'}")
    champions: dict[str, Any] = {}
    if get_json(f"{lab.mlflow_url}/health")[0] == 200:
        for model, _ in MODEL_APIS.values():
            champions[model] = champion_version(lab, model)
            eprint(f"     registry champion of {model}: {champions[model] or 'none'}")
    return {"checks": checks, "down": down, "processes": processes, "champions": champions,
            "flagged": bool(down)}  # fmt: skip


def stop_all(lab: Lab) -> list[str]:
    """Stop every process the playbooks started, server 3 first (it depends on the others)."""
    stopped = []
    for server in reversed(SERVERS):
        bin_dir = lab.server_root(server) / "bin"
        for launch in sorted(bin_dir.glob("*.sh")) if bin_dir.is_dir() else []:
            stopped.append(f"{server}: {lab.stop(server, launch.stem)}")
            eprint(stopped[-1])
    return stopped


def purge(lab: Lab, prefix: str = LAB_DB_PREFIX, *, remove_files: bool = True) -> list[str]:
    """Drop the lab's databases and login roles (all named ``lab_*``) and its files."""
    dropped = [str(what) for what in drop_prefixed(prefix)]
    for what in dropped:
        eprint(f"dropped {what}")
    if remove_files:
        shutil.rmtree(lab.root, ignore_errors=True)
        eprint(f"removed {lab.root}")
    return dropped


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lab", description=__doc__.splitlines()[0], epilog=CONTRACT_HELP
    )
    sub = parser.add_subparsers(dest="command", required=True)
    first = sub.add_parser("first-pipeline", help="run features → training when no champion")
    first.add_argument("--force", action="store_true", help="run even if champions exist")
    sub.add_parser("status", help="what answers where")
    down = sub.add_parser("down", help="stop every lab process")
    down.add_argument("--purge", action="store_true", help="also drop lab_* databases and files")
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    lab = lab_from_env()
    if args.command == "first-pipeline":
        return {"champions": first_pipeline(lab, log=eprint, force=args.force)}
    if args.command == "status":
        return status(lab)
    result: dict[str, Any] = {"stopped": stop_all(lab)}
    if args.purge:
        result["dropped"] = purge(lab)
        result["removed"] = str(lab.root)
    return result


def main(argv: list[str] | None = None) -> int:
    return run_cli(_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
