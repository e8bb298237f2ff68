"""Materialize Feast feature views into the online store for a DAG run's data interval.

Feast runs in the feature-engineering stack, so the operator drives the
``feature-store-cli`` PEX instead of importing Feast. It materializes incrementally up to the
run's ``data_interval_end`` (not "now"), so a retried or re-run task for the same interval
writes the same feature values and leaves the online store in the same state.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from mlops_common.pex_runner import locate_pex, run_pex_json
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables

FEATURE_STORE_PEX = "feature-store-cli"


class FeastMaterializeOperator(BaseOperator):
    template_fields: Sequence[str] = ("end",)

    def __init__(
        self,
        *,
        # A run triggered without a logical date (Airflow 3) has no data interval: its
        # run_after is then the end, as "now" was when it was triggered.
        end: str = (
            "{{ (data_interval_end if data_interval_end is defined and data_interval_end"
            " else dag_run.run_after).isoformat() }}"
        ),
        pex_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.end = end
        self.pex_dir = pex_dir

    def command(self) -> list[str]:
        return ["materialize", "--end", self.end]

    def execute(self, context: Any) -> dict[str, Any]:
        """Returns the CLI's JSON result and the end it ran to; only that goes to XCom (the
        metadata DB): progress lines stream to the task log (``log=``), never to XCom."""
        pex_dir = Path(self.pex_dir) if self.pex_dir else load_pipeline_variables().pex_dir
        pex = locate_pex(pex_dir, FEATURE_STORE_PEX)
        return {"end": self.end, **run_pex_json(pex, self.command(), log=self.log.info)[1]}
