"""Run a committed Jupyter notebook headless, the way CI proves it still works.

The components' notebooks (feature development, model research) are executed by tests with
papermill on an ipykernel of the *test's own* environment: the kernel is started from this
interpreter with ``PYTHONPATH`` set to this process' ``sys.path``, so a notebook imports exactly
the resolve the test was built with (Pants runs tests from a PEX whose packages are not on the
interpreter's default path). Papermill and ipykernel must be in that resolve; this module
itself needs only the standard library, so every resolve can import it.

Contract with a notebook: one cell tagged ``parameters`` (papermill injects the overrides
after it) and a last code cell that prints one JSON object, the notebook's summary, which
:func:`execute_notebook` returns for the test to assert on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


class NotebookFailed(AssertionError):
    """The notebook raised; the message holds papermill's report of the failing cell."""


def unstripped_cells(path: Path) -> list[int]:
    """Indexes of code cells that carry outputs or execution counts (git must hold none)."""
    cells = json.loads(path.read_text())["cells"]
    return [
        index
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def _kernel_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Absolute: Pants puts the source roots on sys.path relative to the sandbox, and the
    # kernel runs in ``workdir``.
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path if p)
    for var, sub in (
        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
        ("JUPYTER_DATA_DIR", "jupyter-data"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
    ):
        env[var] = str(workdir / sub)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("MPLBACKEND", None)  # the kernel's inline backend puts the plots in the notebook
    return env


def _summary(executed: Path) -> dict[str, Any]:
    cells = [c for c in json.loads(executed.read_text())["cells"] if c["cell_type"] == "code"]
    text = "".join(
        "".join(out.get("text", ""))
        for out in cells[-1].get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise NotebookFailed(f"{executed}: the last code cell printed no JSON summary")
    summary: dict[str, Any] = json.loads(lines[-1])
    return summary


def execute_notebook(
    notebook: Path, workdir: Path, parameters: dict[str, Any], timeout_s: int = 900
) -> dict[str, Any]:
    """Execute ``notebook`` with ``parameters``; returns the JSON summary its last cell prints.

    The executed copy (with outputs) is written to ``workdir`` for a person to open when a
    test fails; the committed file is never touched.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    executed = workdir / f"{notebook.stem}.executed.ipynb"
    command = [
        sys.executable,
        "-m",
        "papermill",
        str(notebook),
        str(executed),
        "--kernel",
        "python3",
        "--cwd",
        str(workdir),
        "--parameters_yaml",
        json.dumps(parameters),  # JSON is YAML
        "--execution-timeout",
        str(timeout_s),
        "--no-progress-bar",
    ]
    done = subprocess.run(
        command, env=_kernel_env(workdir), capture_output=True, text=True, timeout=timeout_s + 60
    )
    if done.returncode != 0:
        raise NotebookFailed(
            f"{notebook} failed (exit {done.returncode}); executed copy: {executed}\n"
            f"{done.stderr[-6000:]}"
        )
    return _summary(executed)
