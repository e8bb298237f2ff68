"""Run a component PEX from a task and read its one-line JSON result.

Component CLIs (``trainer``, ``feature-store-cli``, ``monitoring-cli``) print progress on
stderr and finish with one result line on stdout; tasks return that result so it lands in
XCom and the next task can act on it (e.g. reload the service only if a model was promoted).
"""

from __future__ import annotations

import json
from typing import Any

from mlops_common.pex_runner import locate_pex, run_pex, run_pex_status
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables


def run_component(pex_name: str, args: list[str], env: dict[str, str] | None = None) -> list[str]:
    variables = load_pipeline_variables()
    return run_pex(locate_pex(variables.pex_dir, pex_name), args, env=env)


def run_component_status(
    pex_name: str, args: list[str], ok_codes: tuple[int, ...], env: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    """Like :func:`run_component` for CLIs whose exit code is an outcome (e.g. drift = 3)."""
    variables = load_pipeline_variables()
    return run_pex_status(locate_pex(variables.pex_dir, pex_name), args, ok_codes=ok_codes, env=env)


def last_json_line(lines: list[str]) -> dict[str, Any]:
    for line in reversed(lines):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("the component printed no JSON result line; see the task log above")
