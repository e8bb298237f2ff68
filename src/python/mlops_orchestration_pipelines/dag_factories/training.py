"""One training DAG per model: train → evaluate/promote → reload the service → notify.

The trainer runs as the ``trainer`` PEX pinned by this bundle. Training registers a
*challenger*; the evaluation gate moves *champion* only when the challenger beats it by the
configured margin on rows neither model was fitted on (after both models' ``data_cutoff``, or
the entity holdout; see ``ml_model_development/common_ml_utils/promotion_window.py``), so
re-running the DAG for the same interval cannot promote a second, equivalent version.

Trigger form (``params``): ``reason`` (why this run: schedule, drift, manual, …) and
``hyperparameter_overrides`` (a JSON object, e.g. ``{"n_estimators": 300}``, passed to the
trainer as ``TRAINING_HYPERPARAMETERS``, whose settings validate names and ranges). The
evaluation gate's decision is the ``champion_<model>`` asset event (``extra.promoted``).

Promotion policy: the trainer's ``TRAINING_PROMOTION_POLICY`` (``offline`` by default), or the
trigger's ``promotion_policy`` param. Under ``shadow`` a challenger that wins offline stays
``challenger`` (``extra.shadow``), the service is reloaded so that it scores it in shadow, and
the daily ``promote_<model>_challenger`` DAG (``dag_factories/shadow_promotion.py``) promotes
it once the shadow log holds the evidence.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, get_current_context, task

from mlops_common.contracts.features import ModelContract
from mlops_common.settings import PlatformSettings
from mlops_orchestration_pipelines.assets import OFFLINE_FEATURES, champion
from mlops_orchestration_pipelines.component_runs import run_component
from mlops_orchestration_pipelines.dag_defaults import model_dag
from mlops_orchestration_pipelines.utils.internal_api_hook import InternalApiHook, service_conn_id

TRAINER_PEX = "trainer"
REASONS = ["schedule", "drift", "manual", "new-data", "hotfix"]


def training_params() -> dict[str, Param]:
    """The trigger form of a training DAG; Airflow validates a run's conf against it."""
    return {
        "reason": Param(
            "schedule",
            type="string",
            enum=REASONS,
            description="Why this model is retrained; recorded with the promotion decision.",
        ),
        "hyperparameter_overrides": Param(
            {},
            type="object",
            description='Trainer hyperparameters to override, e.g. {"n_estimators": 300}.',
        ),
        "checked_by": Param(
            None,
            type=["null", "string"],
            description="The drift-check DAG that triggered this run, if any.",
        ),
        "promotion_policy": Param(
            None,
            type=["null", "string"],
            enum=[None, "offline", "shadow"],
            description=(
                "offline: a winner becomes champion at once; shadow: it stays challenger until"
                " promote_<model>_challenger finds shadow evidence; null: the trainer's"
                " TRAINING_PROMOTION_POLICY."
            ),
        ),
    }


def trainer_env(params: dict[str, Any]) -> dict[str, str] | None:
    overrides = params.get("hyperparameter_overrides") or {}
    if not isinstance(overrides, dict):
        raise ValueError(
            f"hyperparameter_overrides must be a JSON object, got {overrides!r}; "
            'trigger with e.g. {"hyperparameter_overrides": {"n_estimators": 300}}'
        )
    return {"TRAINING_HYPERPARAMETERS": json.dumps(overrides)} if overrides else None


def promotion_env(params: dict[str, Any]) -> dict[str, str] | None:
    """``TRAINING_PROMOTION_POLICY`` for the gate when the trigger chose one."""
    policy = params.get("promotion_policy")
    return {"TRAINING_PROMOTION_POLICY": str(policy)} if policy else None


def reload_service_for(contract: ModelContract, decision: dict[str, Any]) -> str:
    """Reload the model API when the registry changed what it serves (champion or shadow)."""
    if not (decision.get("promoted") or decision.get("shadow")):
        return "champion unchanged; no reload"
    hook = InternalApiHook.for_use_case(contract.use_case)
    if hook is None:
        return f"no Airflow connection {service_conn_id(contract.use_case)}; no reload"
    client = hook.get_conn()
    url = client.base_url
    # Live, not ready: a service still waiting for its first champion must be told too.
    if not client.is_live():
        return f"service at {url} not running; it loads the new champion at start"
    return json.dumps(client.reload_model())


def notify_decision(contract: ModelContract, decision: dict[str, Any], reload_outcome: str) -> str:
    """Append a line to the notifications log (the hook point for Slack/e-mail)."""
    home = PlatformSettings().home
    path = Path(home) / "notifications" / "training.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "at": datetime.now(tz=UTC).isoformat(),
        "model": contract.registered_model_name,
        "promoted": decision.get("promoted"),
        "shadow": decision.get("shadow") or decision.get("verdict"),
        "flagged": bool(decision.get("flagged")),
        "reason": decision.get("reason"),
        "trigger_reason": get_current_context()["params"].get("reason"),
        "reload": reload_outcome,
    }
    with path.open("a") as fh:
        fh.write(json.dumps(record) + "\n")
    return json.dumps(record)


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
        params=training_params(),
    )
    def training():
        @task(inlets=[OFFLINE_FEATURES])
        def train() -> dict[str, Any]:
            params = get_current_context()["params"]
            print(f"training {cli_name}: reason={params.get('reason')}")
            return run_component(TRAINER_PEX, ["train", cli_name], env=trainer_env(params))

        champion_asset = champion(contract.registered_model_name)

        @task(outlets=[champion_asset])
        def evaluate_and_promote(trained: dict[str, Any]) -> dict[str, Any]:
            context = get_current_context()
            env = promotion_env(context["params"])
            decision = run_component(TRAINER_PEX, ["promote", cli_name], env=env)
            print(f"promotion: {decision.get('reason')}")
            event = context["outlet_events"][champion_asset]
            event.extra = {
                "promoted": bool(decision.get("promoted")),
                "shadow": bool(decision.get("shadow")),
            }
            return decision

        @task
        def reload_service(decision: dict[str, Any]) -> str:
            return reload_service_for(contract, decision)

        @task
        def notify(decision: dict[str, Any], reload_outcome: str) -> str:
            """Append a line to the notifications log (the hook point for Slack/e-mail)."""
            return notify_decision(contract, decision, reload_outcome)

        decision = evaluate_and_promote(train())
        notify(decision, reload_service(decision))

    return training()
