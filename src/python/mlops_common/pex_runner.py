"""Run another component's Pants-built PEX as a subprocess (Airflow tasks, the platform CLI).

This is how the Airflow resolve stays free of training, dbt and Spark libraries: a task that
needs them runs e.g. ``trainer.pex train fraud`` with the same Python 3.11, streams its
progress lines into the task log and fails with the tail of its output when it fails. The PEX
is pinned by the deployed DAG bundle, so a DAG always runs the code version it was built with.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class PexTaskError(RuntimeError):
    """The PEX exited non-zero; the message carries its last output lines."""


def locate_pex(pex_dir: Path, name: str) -> Path:
    """``<pex_dir>/<name>.pex``, or a clear error naming the Pants command that builds it."""
    candidates = [pex_dir / f"{name}.pex", *sorted(pex_dir.glob(f"**/{name}.pex"))]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{name}.pex not found under {pex_dir}; build it with `./pants package ::` "
        f"(or set MLOPS_PIPELINE_PEX_DIR to where the PEX files are)"
    )


def _command(
    pex: Path, args: Sequence[str], env: dict[str, str] | None, log: Callable[[str], None]
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a PEX run (logged as ``running: ...``)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    # Unpack into a shared cache, not ~/.pex, unless the deployment chose a place.
    full_env.setdefault("PEX_ROOT", str(Path(full_env.get("MLOPS_HOME", "var/mlops")) / "pex_root"))
    cmd = [sys.executable, str(pex), *args]
    log(f"running: {' '.join(cmd[1:])}")
    return cmd, full_env


def _failed(pex: Path, args: Sequence[str], code: int, tail: Sequence[str]) -> PexTaskError:
    return PexTaskError(
        f"{pex.name} {' '.join(args)} exited with {code}; last output:\n" + "\n".join(tail)
    )


def run_pex_status(
    pex: Path,
    args: Sequence[str],
    *,
    ok_codes: Sequence[int] = (0,),
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Callable[[str], None] = print,
    tail_lines: int = 30,
) -> tuple[int, list[str]]:
    """Run ``pex`` with ``args``; stream its output and return ``(exit code, lines)``.

    Exit codes outside ``ok_codes`` raise :class:`PexTaskError`; components use extra codes
    for outcomes a caller branches on (e.g. ``monitoring-cli`` exits 3 when drift is flagged).
    """
    cmd, full_env = _command(pex, args, env, log)
    tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
    lines: list[str] = []
    with subprocess.Popen(
        cmd,
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            log(line)
            tail.append(line)
            lines.append(line)
        code = proc.wait()
    if code not in ok_codes:
        raise _failed(pex, args, code, tail)
    return code, lines


def run_pex(pex: Path, args: Sequence[str], **kwargs: Any) -> list[str]:
    """Run ``pex`` with ``args``; stream and return its output lines (non-zero exit raises)."""
    return run_pex_status(pex, args, **kwargs)[1]


def run_pex_json(
    pex: Path,
    args: Sequence[str],
    *,
    log: Callable[[str], None] = print,
    ok_codes: Sequence[int] = (0,),
    tail_lines: int = 30,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run a component CLI that keeps the CLI contract; return ``(exit code, JSON result)``.

    Its stderr (progress, logs) streams to ``log``; its stdout must be exactly one JSON object
    (``mlops_common.cli_contract``), read with ``json.loads`` — never matched as text.
    """
    cmd, full_env = _command(pex, args, env, log)
    tail: collections.deque[str] = collections.deque(maxlen=tail_lines)

    def pump(stream: Any) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            log(line)
            tail.append(line)

    with subprocess.Popen(
        cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        reader = threading.Thread(target=pump, args=(proc.stderr,), daemon=True)
        reader.start()
        stdout = proc.stdout.read()
        code = proc.wait()
        reader.join()
    if code not in ok_codes:
        raise _failed(pex, args, code, tail)
    try:
        result = json.loads(stdout)
    except json.JSONDecodeError:
        result = None
    if not isinstance(result, dict):
        raise PexTaskError(
            f"{pex.name} {' '.join(args)} broke the CLI contract: stdout is not one JSON object "
            f"(got {stdout[:200]!r}); fix the component so progress goes to stderr"
        )
    log(f"result: {json.dumps(result, default=str)[:500]}")
    return code, result
