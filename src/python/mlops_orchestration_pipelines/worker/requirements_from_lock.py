"""The Airflow worker's requirements, derived from the ``airflow`` resolve's lockfile.

Workers run the DAG bundles, so they need exactly the versions the DAGs were tested with:
every package of ``3rdparty/python/airflow/airflow.lock`` pinned with its artifact hashes,
for ``pip install --require-hashes --no-deps -r requirements.txt`` in
``src/docker/Dockerfile.airflow_custom_worker``. Training, Spark, Feast and MLflow are *not*
here: tasks run those stacks as the components' PEX files, copied into the image.

    python -m mlops_orchestration_pipelines.worker.requirements_from_lock \\
        3rdparty/python/airflow/airflow.lock \\
        src/python/mlops_orchestration_pipelines/worker/requirements.txt [--check]

``--check`` exits 1 when the committed file is stale (a test runs the same comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HEADER = """\
# GENERATED from 3rdparty/python/airflow/airflow.lock - do not edit by hand. Regenerate with
#   python -m mlops_orchestration_pipelines.worker.requirements_from_lock \\
#       3rdparty/python/airflow/airflow.lock \\
#       src/python/mlops_orchestration_pipelines/worker/requirements.txt
# Install: pip install --require-hashes --no-deps -r requirements.txt
"""


def read_lock(path: Path) -> dict:
    """Pants lockfiles are JSON after a ``//`` comment header."""
    text = "".join(
        line for line in path.read_text().splitlines(keepends=True) if not line.startswith("//")
    )
    return json.loads(text)


def locked_pins(lock: dict) -> dict[str, tuple[str, list[str]]]:
    """``{project: (version, sorted sha256 hashes)}`` of the lock's single resolve."""
    resolves = lock["locked_resolves"]
    if len(resolves) != 1:
        raise ValueError(f"expected one locked resolve, found {len(resolves)}")
    pins: dict[str, tuple[str, list[str]]] = {}
    for req in resolves[0]["locked_requirements"]:
        hashes = sorted(
            f"{a['algorithm']}:{a['hash']}" for a in req["artifacts"] if a["algorithm"] == "sha256"
        )
        pins[req["project_name"]] = (req["version"], hashes)
    return pins


def render(lock: dict) -> str:
    lines = [HEADER.rstrip("\n")]
    lines.append("# Top-level requirements: " + ", ".join(sorted(lock["requirements"])))
    for name, (version, hashes) in sorted(locked_pins(lock).items()):
        lines.append(f"{name}=={version} \\")
        lines += [f"    --hash={h} \\" for h in hashes[:-1]] + [f"    --hash={hashes[-1]}"]
    return "\n".join(lines) + "\n"


def parse_requirements(text: str) -> dict[str, str]:
    """``{project: version}`` of a rendered file (for checks and tests)."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", " ")) and "==" in line:
            name, version = line.rstrip(" \\").split("==", 1)
            pins[name] = version
    return pins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--check", action="store_true", help="fail if output is stale")
    args = parser.parse_args(argv)
    rendered = render(read_lock(args.lock))
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != rendered:
            print(f"{args.output} is stale; regenerate it (see its header)", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(rendered)
    print(f"wrote {args.output} ({rendered.count('==')} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
