"""One daily DAG per model: promote the challenger in shadow once the evidence is there.

First, on the servers (pipeline variable ``shadow_log_pull_days`` > 0), copies the last days
of the shadow log from the model API (``GET /admin/shadow-log``, same Airflow connection and key
as the reload) into ``MLOPS_SHADOW_ROOT`` here (``utils/shadow_log_pull.py``). Then runs
``trainer promote-challenger <model>`` (``ml_model_development/common_ml_utils/
shadow_promotion.py``): it reads that shadow log, joins it with the outcome labels and compares it with the ``TRAINING_SHADOW_*`` thresholds.
Outcomes, all of them a successful task: ``promoted`` (the ``champion_<model>`` asset gets an
event with ``extra.promoted`` and the API is reloaded), ``wait`` / nothing in shadow (exit 0,
no change), ``reject`` (exit 3, *flagged*: the notification line says so and the challenger
stays in shadow for a person to look at). A day without a challenger costs one registry
lookup, so the DAG runs daily whatever the policy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, get_current_context, task

from mlops_common.contracts.features import ModelContract
from mlops_common.settings import PlatformSettings
from mlops_orchestration_pipelines.assets import champion
from mlops_orchestration_pipelines.component_runs import run_component_status
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.dag_defaults import daily_timetable, model_dag
from mlops_orchestration_pipelines.dag_factories.training import (
    TRAINER_PEX,
    notify_decision,
    reload_service_for,
)
from mlops_orchestration_pipelines.utils.internal_api_hook import InternalApiHook, service_conn_id
from mlops_orchestration_pipelines.utils.shadow_log_pull import pull_shadow_log

FLAGGED = 3


def build_shadow_promotion_dag(
    cli_name: str, contract: ModelContract, cron: str = "30 4 * * *", *, dag_id: str
) -> DAG:
    if dag_id != f"promote_{contract.registered_model_name}_challenger":
        raise ValueError(f"dag id must be promote_{contract.registered_model_name}_challenger")

    @model_dag(
        dag_id=dag_id,
        schedule=daily_timetable(cron),
        domain="training",
        use_case=contract.use_case,
        doc_md=__doc__,
        timeout=timedelta(minutes=30),
    )
    def shadow_promotion():
        champion_asset = champion(contract.registered_model_name)

        @task
        def copy_shadow_log() -> str:
            days = load_pipeline_variables().shadow_log_pull_days
            if not days:
                return "shadow_log_pull_days is 0: promote-challenger reads the local folder"
            hook = InternalApiHook.for_use_case(contract.use_case)
            if hook is None:
                raise RuntimeError(
                    f"shadow_log_pull_days={days} needs the Airflow connection"
                    f" {service_conn_id(contract.use_case)} to the model API"
                )
            root = PlatformSettings().resolved_shadow_root()
            today = datetime.now(UTC).date()
            copied = pull_shadow_log(
                hook.get_conn(), root, contract.registered_model_name, days, today
            )
            return f"copied {copied or 'nothing new'} into {root}"

        @task(outlets=[champion_asset])
        def promote_challenger() -> dict[str, Any]:
            code, decision = run_component_status(
                TRAINER_PEX, ["promote-challenger", cli_name], ok_codes=(0, FLAGGED)
            )
            print(f"shadow promotion ({decision.get('verdict')}): {decision.get('reason')}")
            event = get_current_context()["outlet_events"][champion_asset]
            event.extra = {
                "promoted": bool(decision.get("promoted")),
                "evidence": "shadow",
                "flagged": code == FLAGGED,
            }
            return decision

        @task
        def reload_service(decision: dict[str, Any]) -> str:
            return reload_service_for(contract, decision)

        @task
        def notify(decision: dict[str, Any], reload_outcome: str) -> str:
            return notify_decision(contract, decision, reload_outcome)

        decision = promote_challenger()
        copy_shadow_log() >> decision
        notify(decision, reload_service(decision))

    return shadow_promotion()
