"""Run a component PEX from a task and read its JSON result.

Component CLIs (``trainer``, ``feature-store-cli``, ``monitoring-cli``) keep the CLI contract
(``mlops_common.cli_contract``): progress on stderr, which streams into the task log, and
exactly one JSON object on stdout. Tasks return that object — read with ``json.loads``, never
matched with a regex — so it lands in XCom and the next task can act on it (e.g. reload the
service only if a model was promoted, skip scoring when an interval exported no rows).
"""

from __future__ import annotations

from typing import Any

from mlops_common.pex_runner import locate_pex, run_pex_json
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables


def run_component(
    pex_name: str, args: list[str], env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``<pex_dir>/<pex_name>.pex args``; its JSON result (a non-zero exit raises)."""
    return run_component_status(pex_name, args, (0,), env)[1]


def run_component_status(
    pex_name: str, args: list[str], ok_codes: tuple[int, ...], env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """Like :func:`run_component` for CLIs whose exit code is an outcome (3 = flagged)."""
    variables = load_pipeline_variables()
    return run_pex_json(locate_pex(variables.pex_dir, pex_name), args, ok_codes=ok_codes, env=env)
