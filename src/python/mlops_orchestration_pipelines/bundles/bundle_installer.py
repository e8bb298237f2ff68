"""Entry point of a DAG-bundle PEX: ``python3.11 <domain>-dags.pex install <folder>``.

Each domain's bundle is a Pants ``pex_binary`` built with ``include_requirements=False``: it
holds only first-party code — that domain's DAG files plus the orchestration and shared
packages they import — because the Airflow workers already have the Airflow resolve
installed. Installing writes a folder usable as an Airflow ``LocalDagBundle`` (or a
``dags_folder``) and a ``manifest.json`` listing DAG ids and file hashes, so server 2 can
tell exactly which code version each DAG runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import mlops_common
import mlops_orchestration_pipelines

_DAG_ID = re.compile(r"""dag_id\s*=\s*["']([\w.-]+)["']""")
_COPIED_SUFFIXES = {".py", ".json", ".yaml", ".yml", ".md"}


def _package_files(package_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in package_dir.rglob("*")
        if p.is_file()
        and p.suffix in _COPIED_SUFFIXES
        and "tests" not in p.relative_to(package_dir).parts
    )


def install(target: Path) -> dict[str, Any]:
    """Copy the bundle's packages into ``target`` and write ``target/manifest.json``."""
    if target.exists() and any(target.iterdir()):
        staging = target.with_name(target.name + ".installing")
    else:
        staging = target
    if staging != target and staging.exists():
        shutil.rmtree(staging)
    files: dict[str, str] = {}
    dag_ids: list[str] = []
    for package in (mlops_orchestration_pipelines, mlops_common):
        package_dir = Path(cast(str, package.__file__)).parent  # regular packages: a file
        for src in _package_files(package_dir):
            rel = Path(package_dir.name) / src.relative_to(package_dir)
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            data = src.read_bytes()
            files[str(rel)] = hashlib.sha256(data).hexdigest()
            if rel.parts[:2] == ("mlops_orchestration_pipelines", "dags"):
                dag_ids += _DAG_ID.findall(data.decode("utf-8"))
    # Airflow parses every .py under a bundle; only the dags/ folders hold DAGs.
    # (glob syntax, Airflow 3's default): ignore every support module outside dags/.
    support = sorted(
        f"mlops_orchestration_pipelines/{p.name}{'/' if p.is_dir() else ''}"
        for p in (staging / "mlops_orchestration_pipelines").iterdir()
        if p.name != "dags"
    )
    (staging / ".airflowignore").write_text("\n".join(["mlops_common/", *support]) + "\n")
    manifest = {
        "dag_ids": sorted(dag_ids),
        "files": files,
        "installed_at": datetime.now(tz=UTC).isoformat(),
        "python_path": ".",
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    if staging != target:
        # Swap in one rename so Airflow never parses a half-installed bundle.
        backup = target.with_name(target.name + ".previous")
        if backup.exists():
            shutil.rmtree(backup)
        target.rename(backup)
        staging.rename(target)
        shutil.rmtree(backup)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    install_cmd = sub.add_parser("install", help="install the bundle into a folder")
    install_cmd.add_argument("target", type=Path)
    sub.add_parser("manifest", help="print the DAG ids this bundle holds")
    args = parser.parse_args(argv)
    if args.command == "install":
        manifest = install(args.target)
        print(
            f"installed {len(manifest['dag_ids'])} DAG(s) into {args.target}: {', '.join(manifest['dag_ids'])}"
        )
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(install(Path(tmp) / "b")["dag_ids"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
