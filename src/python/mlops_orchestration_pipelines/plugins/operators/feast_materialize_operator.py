"""Materialize Feast feature views into the online store for a DAG run's data interval.

Feast runs in the feature-engineering stack, so the operator drives the
``feature-store-cli`` PEX instead of importing Feast. Materializing exactly
``[data_interval_start, data_interval_end)`` makes reruns of the same interval idempotent:
the online store ends in the same state however often the task is retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from mlops_common.pex_runner import locate_pex, run_pex
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables

FEATURE_STORE_PEX = "feature-store-cli"


class FeastMaterializeOperator(BaseOperator):
    template_fields: Sequence[str] = ("start", "end", "feature_views")

    def __init__(
        self,
        *,
        start: str = "{{ data_interval_start.isoformat() }}",
        end: str = "{{ data_interval_end.isoformat() }}",
        feature_views: Sequence[str] = (),
        pex_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start = start
        self.end = end
        self.feature_views = list(feature_views)
        self.pex_dir = pex_dir

    def command(self) -> list[str]:
        args = ["materialize", "--start", self.start, "--end", self.end]
        for view in self.feature_views:
            args += ["--view", view]
        return args

    def execute(self, context: Any) -> list[str]:
        pex_dir = Path(self.pex_dir) if self.pex_dir else load_pipeline_variables().pex_dir
        pex = locate_pex(pex_dir, FEATURE_STORE_PEX)
        return run_pex(pex, self.command(), log=self.log.info)
