"""One drift-check DAG per model: reference → drift check → trigger retraining on drift.

* ``score_reference`` — scores the model's training entity rows
  (``$MLOPS_HOME/labels/<use_case>_labels.parquet``) with the current champion into
  ``$MLOPS_HOME/monitoring/reference/<use_case>.parquet``: the training-time distribution of
  every model feature and of the score, as the champion sees it. Rebuilt each run (replaced
  atomically), so a newly promoted champion gets a matching reference.
* ``check_drift`` — ``monitoring-cli drift`` compares that reference with the day's
  batch-scoring partition (features and ``score``): the DAG is scheduled on the
  ``predictions_<use_case>`` asset, so it runs when batch scoring publishes a day, and checks
  the day the asset event names (``extra.partition_date``; a manual run with a logical date
  checks the day before it). A day without rows is skipped; it writes the JSON/HTML report and
  Prometheus gauges under ``$MLOPS_HOME/reports/drift/<model>/dt=<day>``. Exit code 3 means
  drift was flagged: the task returns True and the retraining trigger runs; otherwise the
  trigger is skipped. The PSI threshold is the pipeline variable ``drift_psi_threshold``.
* ``trigger_retraining`` — ``TriggerDagRunOperator`` on ``train_<model>``; the training DAG's
  evaluation gate still decides whether the retrained model replaces the champion.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, Asset, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from mlops_common.contracts.features import ModelContract
from mlops_common.settings import PlatformSettings
from mlops_orchestration_pipelines.assets import champion, predictions
from mlops_orchestration_pipelines.component_runs import (
    run_component,
    run_component_status,
)
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.dag_defaults import model_dag
from mlops_orchestration_pipelines.dag_factories.batch_scoring import PART_FILE, partition_dir
from mlops_orchestration_pipelines.dag_factories.training import TRAINER_PEX

MONITORING_PEX = "monitoring-cli"
DRIFT_EXIT_CODE = 3


def reference_path(use_case: str) -> Path:
    return PlatformSettings().home / "monitoring" / "reference" / f"{use_case}.parquet"


def checked_day(context: Any, asset: Asset) -> datetime:
    """The day to check: the newest triggering event's partition, else the logical day before.

    Raises ``AirflowSkipException`` when batch scoring published a day without rows.
    """
    events = context.get("triggering_asset_events") or {}
    for event in reversed(list(events.get(asset, []))):
        extra = event.extra or {}
        if "partition_date" in extra:
            if extra.get("rows") == 0:
                raise AirflowSkipException(f"no predictions on {extra['partition_date']}")
            return datetime.strptime(extra["partition_date"], "%Y-%m-%d").replace(tzinfo=UTC)
    end = context.get("data_interval_end") or context.get("logical_date")
    if end is None:
        raise ValueError(
            "no predictions asset event and no logical date: trigger the DAG with a logical "
            "date (it checks the day before) or let batch scoring's asset event start it"
        )
    return (
        (cast(datetime, end) - timedelta(days=1))
        .astimezone(UTC)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )


def build_drift_check_dag(cli_name: str, contract: ModelContract, *, dag_id: str, doc: str) -> DAG:
    predictions_asset = predictions(contract.use_case)

    @model_dag(
        dag_id=dag_id,
        # Runs when batch scoring publishes a day's predictions, and checks that day.
        schedule=[predictions_asset],
        domain="monitoring",
        use_case=contract.use_case,
        doc_md=f"{doc}\n\n{__doc__}",
        timeout=timedelta(hours=1),
    )
    def drift_check():
        @task(inlets=[champion(contract.registered_model_name)])
        def score_reference() -> dict:
            home = PlatformSettings().home
            labels = home / "labels" / f"{contract.use_case}_labels.parquet"
            target = reference_path(contract.use_case)
            return run_component(
                TRAINER_PEX,
                ["predict-batch", cli_name, "--entities", str(labels), "--output", str(target)],
            )

        @task.short_circuit(inlets=[predictions_asset])
        def check_drift(reference: dict) -> bool:
            day = checked_day(get_current_context(), predictions_asset)
            current = partition_dir(contract.use_case, day) / PART_FILE
            if not current.is_file():
                raise FileNotFoundError(
                    f"no batch-scoring partition {current}; run score_* for {day:%Y-%m-%d} first"
                )
            out = PlatformSettings().home / "reports" / "drift" / contract.registered_model_name
            out = out / f"dt={day:%Y-%m-%d}"
            variables = load_pipeline_variables()
            threshold = str(variables.drift_psi_threshold)
            textfile: list[str] = []
            if variables.metrics_textfile_dir:
                name = f"drift_{contract.registered_model_name}.prom"
                textfile = ["--textfile", str(variables.metrics_textfile_dir / name)]
            code, result = run_component_status(
                MONITORING_PEX,
                ["drift", "--reference", reference["output_path"], "--current", str(current),
                 "--model", contract.registered_model_name,
                 "--features", ",".join(contract.feature_names), "--score", "score",
                 "--output-dir", str(out), *textfile],
                ok_codes=(0, DRIFT_EXIT_CODE),
                env={
                    "MONITORING_DRIFT__PSI_THRESHOLD": threshold,
                    "MONITORING_DRIFT__PREDICTION_PSI_THRESHOLD": threshold,
                },
            )  # fmt: skip
            drifted = code == DRIFT_EXIT_CODE and result["flagged"] is True
            print(f"drift {'flagged: triggering retraining' if drifted else 'not flagged'}")
            print(f"drifted features: {result['drifted_features']}; report {result['report']}")
            return drifted

        trigger = TriggerDagRunOperator(
            task_id="trigger_retraining",
            trigger_dag_id=f"train_{contract.registered_model_name}",
            conf={"reason": "drift", "checked_by": dag_id},
            wait_for_completion=False,
        )
        check_drift(score_reference()) >> trigger

    return drift_check()
