"""Run the platform's images in tests: podman, host network, bounded in time, removed after.

A test lists the ``src/docker`` images it runs in ``runtime_package_dependencies``; Pants
builds them first (``build-support/docker-cli/docker`` = podman) and puts
``src.docker/<name>.docker-info.json`` in the sandbox. :func:`built_image` reads the image
id from there, so a test runs exactly the image Pants built for it, never whatever a tag
points at (another checkout on the machine may have built the same tag since).

Containers use ``--network host`` and bind 127.0.0.1 on free ports: the machine's Redis and
PostgreSQL listen on loopback only, and nothing leaves the machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PODMAN = shutil.which("podman") or "/usr/bin/podman"
DOCKER_INFO_DIR = Path("src.docker")


def podman_problem() -> str | None:
    """Why podman cannot run containers on this machine, or None when it can."""
    if not Path(PODMAN).exists():
        return "podman is not installed (bash build-support/bootstrap_containers.sh installs it)"
    try:
        info = subprocess.run(
            [PODMAN, "info", "--format", "{{.Host.OCIRuntime.Name}}"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"'podman info' failed: {exc}"
    if info.returncode != 0:
        return f"'podman info' failed: {info.stderr.strip()[-500:]}"
    return None


def podman(
    *args: str, timeout: float = 120, check: bool = True, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one podman command (bounded); on failure with ``check`` raise with its output."""
    proc = subprocess.run(
        [PODMAN, *args], capture_output=True, text=True, timeout=timeout, check=False,
        input=input_text,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args[:3])} ... exited {proc.returncode}:\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def built_image(name: str) -> str:
    """The id of the ``src/docker:<name>`` image that Pants built for this test."""
    info_file = DOCKER_INFO_DIR / f"{name}.docker-info.json"
    assert (
        info_file.exists()
    ), f"{info_file} missing: list src/docker:{name} in runtime_package_dependencies"
    info = json.loads(info_file.read_text())
    image_id = info["image_id"]
    assert image_id.startswith("sha256:"), f"Pants could not read the image id: {info}"
    podman("image", "exists", image_id, timeout=30)
    return image_id


def image_config(image: str) -> dict:
    """The image's config (User, Env, Entrypoint, ...), its Healthcheck and its size in bytes."""
    inspected = json.loads(podman("image", "inspect", image, timeout=30).stdout)[0]
    return {
        **inspected["Config"],
        "Size": inspected["Size"],
        "Healthcheck": inspected.get("Healthcheck"),
    }


def unique_name(prefix: str) -> str:
    return f"mlops-test-{prefix}-{uuid.uuid4().hex[:8]}"


def _env_args(env: Mapping[str, str] | None) -> list[str]:
    return [arg for key, value in (env or {}).items() for arg in ("--env", f"{key}={value}")]


def run_once(
    image: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    entrypoint: str | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """``podman run --rm`` to completion (no healthcheck timers for one-off commands)."""
    options = ["--rm", "--network", "host", "--no-healthcheck", *_env_args(env)]
    if entrypoint:
        options += ["--entrypoint", entrypoint]
    return podman("run", *options, image, *args, timeout=timeout, check=False)


def logs(name: str, tail: int = 80) -> str:
    proc = podman("logs", "--tail", str(tail), name, timeout=30, check=False)
    return (proc.stdout + proc.stderr)[-6000:]


def is_running(name: str) -> bool:
    proc = podman("inspect", "--format", "{{.State.Running}}", name, timeout=30, check=False)
    return proc.stdout.strip() == "true"


@contextmanager
def container(
    image: str,
    *args: str,
    prefix: str,
    env: Mapping[str, str] | None = None,
    entrypoint: str | None = None,
) -> Iterator[str]:
    """A detached container on the host network; removed (with its storage) on exit."""
    name = unique_name(prefix)
    options = ["--detach", "--name", name, "--network", "host", *_env_args(env)]
    if entrypoint:
        options += ["--entrypoint", entrypoint]
    podman("run", *options, image, *args, timeout=120)
    try:
        yield name
    finally:
        podman("rm", "--force", "--time", "5", name, timeout=120, check=False)


def http_status(url: str, timeout: float = 3.0, headers: Mapping[str, str] | None = None) -> int:
    """Status of a GET (0 when nothing answers yet)."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def http_json(
    url: str,
    payload: object | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    """(status, decoded JSON body) of a GET, or of a POST when ``payload`` is given."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=data, headers={"content-type": "application/json", **dict(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        body = err.read()
        try:
            return err.code, json.loads(body or b"null")
        except ValueError:
            return err.code, body.decode(errors="replace")


def wait_for_status(
    url: str, name: str, deadline_s: float, expected: Sequence[int] = (200,)
) -> float:
    """Poll ``url`` until it answers one of ``expected``; seconds it took. Fails with the
    container's log when the deadline passes or the container stops."""
    start = time.monotonic()
    last = 0
    while (last := http_status(url)) not in expected:
        elapsed = time.monotonic() - start
        if elapsed > deadline_s or not is_running(name):
            raise AssertionError(
                f"{url} answered {last} after {elapsed:.0f}s (container "
                f"{'running' if is_running(name) else 'stopped'}); log:\n{logs(name)}"
            )
        time.sleep(1)
    return time.monotonic() - start
