"""One training DAG per model: train → evaluate/promote → reload the service → notify.

The trainer runs as the ``trainer`` PEX pinned by this bundle. Training registers a
*challenger*; the evaluation gate moves *champion* only when the challenger beats it by the
configured margin on rows neither model was fitted on (after both models' ``data_cutoff``, or
the entity holdout; see ``ml_model_development/common_ml_utils/promotion_window.py``), so
re-running the DAG for the same interval cannot promote a second, equivalent version.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from mlops_common.contracts.features import ModelContract
from mlops_common.settings import PlatformSettings
from mlops_orchestration_pipelines.component_runs import run_component
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.dag_defaults import model_dag
from mlops_orchestration_pipelines.utils.internal_api_client import InternalApiClient

TRAINER_PEX = "trainer"


def build_training_dag(
    cli_name: str, contract: ModelContract, schedule: str | None, *, dag_id: str
) -> DAG:
    if dag_id != f"train_{contract.registered_model_name}":
        # The drift checks trigger train_<registered model name>; keep the two in step.
        raise ValueError(f"training DAG id must be train_{contract.registered_model_name}")

    @model_dag(
        dag_id=dag_id,
        schedule=schedule,
        domain="training",
        use_case=contract.use_case,
        doc_md=__doc__,
        timeout=timedelta(hours=2),
    )
    def training():
        @task
        def train() -> dict[str, Any]:
            return run_component(TRAINER_PEX, ["train", cli_name])

        @task
        def evaluate_and_promote(trained: dict[str, Any]) -> dict[str, Any]:
            decision = run_component(TRAINER_PEX, ["promote", cli_name])
            print(f"promotion: {decision.get('reason')}")
            return decision

        @task
        def reload_service(decision: dict[str, Any]) -> str:
            if not decision.get("promoted"):
                return "champion unchanged; no reload"
            url = load_pipeline_variables().service_urls.get(contract.use_case)
            if not url:
                return f"no service URL configured for {contract.use_case}"
            client = InternalApiClient(url)
            # Live, not ready: a service still waiting for its first champion must be told too.
            if not client.is_live():
                return f"service at {url} not running; it loads the new champion at start"
            return json.dumps(client.reload_model())

        @task
        def notify(decision: dict[str, Any], reload_outcome: str) -> str:
            """Append a line to the notifications log (the hook point for Slack/e-mail)."""
            home = PlatformSettings().home
            path = Path(home) / "notifications" / "training.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "at": datetime.now(tz=UTC).isoformat(),
                "model": contract.registered_model_name,
                "promoted": decision.get("promoted"),
                "reason": decision.get("reason"),
                "reload": reload_outcome,
            }
            with path.open("a") as fh:
                fh.write(json.dumps(record) + "\n")
            return json.dumps(record)

        decision = evaluate_and_promote(train())
        notify(decision, reload_service(decision))

    return training()
