"""Checks for images and manifests that cannot be run here (no Docker engine, no cluster).

They cover the mistakes that matter for this platform and that a tool would catch, with no
network: hadolint-style Dockerfile rules, the compose file's structure (against a small JSON
schema of the keys we use) and Kubernetes workloads (probes, resources, selectors). Each
function returns a list of problems; an empty list means clean.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$")
_KNOWN_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    pairs = []
    for line in logical:
        match = _INSTRUCTION.match(line)
        pairs.append((match.group(1).upper(), match.group(2).strip()) if match else ("?", line))
    return pairs


def lint_dockerfile(text: str) -> list[str]:
    """Rules after hadolint's DL3006/DL3007 (pinned base), DL3002 (non-root), DL3025 (JSON
    CMD/ENTRYPOINT), DL3020 (COPY not ADD), DL3009/DL3015 (apt hygiene), DL3042 (pip cache)."""
    problems: list[str] = []
    instructions = dockerfile_instructions(text)
    names = [name for name, _ in instructions]
    for name, args in instructions:
        if name not in _KNOWN_INSTRUCTIONS:
            problems.append(f"unknown instruction {name!r}: {args[:40]}")
    if not names or names[0] not in {"FROM", "ARG"}:
        problems.append("the first instruction must be FROM (or ARG before FROM)")
    for name, args in instructions:
        if name == "FROM":
            image = args.split()[0]
            if ":" not in image or image.endswith(":latest"):
                problems.append(f"DL3006/DL3007: pin the base image tag ({image})")
        if name == "ADD" and not args.startswith(("http://", "https://")):
            problems.append("DL3020: use COPY instead of ADD for files")
        if name in {"CMD", "ENTRYPOINT"} and not args.startswith("["):
            problems.append(f"DL3025: use the JSON form for {name}")
        if name == "RUN" and "apt-get install" in args:
            if "--no-install-recommends" not in args:
                problems.append("DL3015: apt-get install without --no-install-recommends")
            if "rm -rf /var/lib/apt/lists" not in args:
                problems.append("DL3009: remove /var/lib/apt/lists after apt-get install")
        if name == "RUN" and re.search(r"\bpip3? install\b", args) and "--no-cache-dir" not in args:
            problems.append("DL3042: pip install without --no-cache-dir")
    users = [args for name, args in instructions if name == "USER"]
    if not users or users[-1] in {"root", "0"}:
        problems.append("DL3002: the image must end with a non-root USER")
    if "ENTRYPOINT" not in names and "CMD" not in names:
        problems.append("no ENTRYPOINT or CMD: the image does not say what it runs")
    return problems


_COMPOSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["services"],
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "properties": {
        "name": {"type": "string"},
        "services": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["image"],
                "additionalProperties": False,
                "properties": {
                    "image": {"type": "string", "minLength": 1},
                    "command": {"type": ["array", "string"]},
                    "environment": {
                        "type": "object",
                        "additionalProperties": {"type": ["string", "number"]},
                    },
                    "ports": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^\d+:\d+$"},
                    },
                    "volumes": {"type": "array", "items": {"type": "string"}},
                    "depends_on": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["condition"],
                            "properties": {
                                "condition": {
                                    "enum": [
                                        "service_started",
                                        "service_healthy",
                                        "service_completed_successfully",
                                    ]
                                }
                            },
                        },
                    },
                    "healthcheck": {
                        "type": "object",
                        "required": ["test"],
                        "properties": {
                            "test": {"type": "array", "items": {"type": "string"}, "minItems": 2}
                        },
                    },
                },
            },
        },
        "volumes": {"type": "object"},
    },
}


def check_compose(compose: dict[str, Any]) -> list[str]:
    """Schema problems plus references the schema cannot see (depends_on, healthy deps, volumes)."""
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in Draft202012Validator(_COMPOSE_SCHEMA).iter_errors(compose)
    ]
    services = compose.get("services", {})
    named_volumes = set(compose.get("volumes", {}) or {})
    for name, service in services.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            if dep not in services:
                problems.append(f"{name}: depends_on unknown service {dep!r}")
            elif cond.get("condition") == "service_healthy" and "healthcheck" not in services[dep]:
                problems.append(
                    f"{name}: waits for {dep} to be healthy but {dep} has no healthcheck"
                )
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")) and source not in named_volumes:
                problems.append(f"{name}: volume {source!r} is not declared under volumes")
    return problems


def check_workload(doc: dict[str, Any]) -> list[str]:
    """A Deployment must select its own pods and give every container probes and limits."""
    name = doc.get("metadata", {}).get("name", "<unnamed>")
    problems = [
        f"{name}: missing {key}" for key in ("apiVersion", "kind", "metadata") if key not in doc
    ]
    if doc.get("kind") != "Deployment":
        return problems
    spec = doc.get("spec", {})
    selector = spec.get("selector", {}).get("matchLabels", {})
    pod_labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        problems.append(f"{name}: spec.selector.matchLabels does not match the pod template labels")
    containers = spec.get("template", {}).get("spec", {}).get("containers", [])
    if not containers:
        problems.append(f"{name}: no containers")
    for container in containers:
        where = f"{name}/{container.get('name', '?')}"
        port_names = {p.get("name") for p in container.get("ports", [])} | {
            p.get("containerPort") for p in container.get("ports", [])
        }
        for probe in ("readinessProbe", "livenessProbe"):
            http = container.get(probe, {}).get("httpGet")
            if not http:
                problems.append(f"{where}: no {probe} (httpGet)")
            elif http.get("port") not in port_names:
                problems.append(
                    f"{where}: {probe} uses port {http.get('port')!r} that the container does not declare"
                )
        if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/health/ready":
            problems.append(f"{where}: readinessProbe must call /health/ready")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for res in ("cpu", "memory"):
                if res not in resources.get(kind, {}):
                    problems.append(f"{where}: resources.{kind}.{res} missing")
        image = container.get("image", "")
        if not image or ":" not in image:
            problems.append(f"{where}: image without a tag")
    return problems
