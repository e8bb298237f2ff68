"""One batch-scoring DAG per model: export entities → score + label → publish the partition.

Workflow 3B of the seed design (batch serving): take the data interval's batch from the
feature store, join its features from the **offline store** point-in-time, score it with the
registry's **champion**, apply the **Label Engine** rules, and store the results.

* ``export_entities`` — ``feature-store-cli entities`` writes the interval's entity rows
  (fraud: the interval's transactions with their request fields; churn: every customer,
  observed at the end of the interval).
* ``score_and_label`` — ``trainer predict-batch <model> --rules <rules.yaml>`` scores them and
  adds ``label`` / ``fired_rules`` / ``rules_version`` from the rules file shipped with this
  bundle (``mlops_common/label_engine/rules/<use_case>.yaml``), writing straight into the
  interval's partition ``$MLOPS_HOME/predictions/<use_case>/dt=<YYYY-MM-DD>/part.parquet``
  (temp file + rename inside the trainer). On the servers profile the trainer also replaces
  that day's rows of the PostgreSQL table ``mlops_predictions.<registered model name>`` in
  one transaction, for systems that query predictions with SQL. A day with at least
  ``batch_spark_min_rows`` entity rows (pipeline variable; unset = never) runs the same
  command from ``batch-scoring-spark.pex`` with ``--runtime spark`` (``TRAINING_SPARK_MASTER``
  on the worker): same output file, same publishing.
* ``publish`` — writes the partition's ``_manifest.json`` (rows, model and rules versions,
  run id) atomically; consumers read a partition only once its manifest exists. Its success
  is an event of the ``predictions_<use_case>`` asset whose ``extra`` names the day
  (``partition_date``) and ``rows``: the drift check is scheduled on it.

Every step replaces its output for the interval, never appends, so re-running or retrying a
day leaves exactly one copy of that day's rows. Scoring never touches registry aliases.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, get_current_context, task

from mlops_common.atomic_files import atomic_write_text
from mlops_common.contracts.features import ModelContract
from mlops_common.label_engine import bundled_rules_path
from mlops_common.settings import PlatformSettings
from mlops_orchestration_pipelines.assets import OFFLINE_FEATURES, champion, predictions
from mlops_orchestration_pipelines.component_runs import run_component
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.dag_defaults import daily_timetable, model_dag
from mlops_orchestration_pipelines.dag_factories.training import TRAINER_PEX
from mlops_orchestration_pipelines.plugins.operators.feast_materialize_operator import (
    FEATURE_STORE_PEX,
)

SPARK_PEX = "batch-scoring-spark"
MANIFEST = "_manifest.json"
PART_FILE = "part.parquet"


def predictions_root(use_case: str) -> Path:
    return PlatformSettings().home / "predictions" / use_case


def partition_dir(use_case: str, interval_start: datetime) -> Path:
    """``$MLOPS_HOME/predictions/<use_case>/dt=YYYY-MM-DD`` for the interval starting then."""
    return predictions_root(use_case) / f"dt={interval_start.astimezone(UTC):%Y-%m-%d}"


def rules_file(use_case: str) -> Path:
    """The rules the bundle ships, unless ``rules_dir`` points at a reviewed override."""
    override = load_pipeline_variables().rules_dir
    return override / f"{use_case}.yaml" if override else bundled_rules_path(use_case)


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Whoever reads the summary (the next task, an operator) sees a whole document."""
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str))


def scoring_command(rows: int) -> tuple[str, list[str]]:
    """The PEX and runtime flag for a day of ``rows`` entity rows.

    Only the Spark PEX carries pyspark, so the choice is made here, before a PEX starts.
    """
    threshold = load_pipeline_variables().batch_spark_min_rows
    if threshold is not None and rows >= threshold:
        return SPARK_PEX, ["--runtime", "spark"]
    return TRAINER_PEX, ["--runtime", "single"]


def _interval() -> tuple[datetime, datetime]:
    context = get_current_context()
    start, end = context["data_interval_start"], context["data_interval_end"]
    if start is None or end is None or end <= start:
        raise ValueError(
            f"batch scoring needs a non-empty data interval, got [{start}, {end}]; "
            "trigger the DAG with a logical date"
        )
    return start, end


def build_batch_scoring_dag(
    cli_name: str, contract: ModelContract, *, dag_id: str, cron: str, doc: str
) -> DAG:
    @model_dag(
        dag_id=dag_id,
        schedule=daily_timetable(cron),  # the run at T scores [T - 1 day, T]
        domain="batch-inference",
        use_case=contract.use_case,
        doc_md=f"{doc}\n\n{__doc__}",
        timeout=timedelta(hours=1),
    )
    def batch_scoring():
        @task
        def export_entities() -> dict[str, Any]:
            start, end = _interval()
            scratch = PlatformSettings().home / "scratch" / "batch" / contract.use_case
            entities = scratch / f"{start.astimezone(UTC):%Y-%m-%dT%H%M}" / "entities.parquet"
            exported = run_component(
                FEATURE_STORE_PEX,
                ["entities", "--use-case", contract.use_case, "--start", start.isoformat(),
                 "--end", end.isoformat(), "--output", str(entities)],
            )  # fmt: skip
            return {"entities": exported["output"], "rows": exported["rows"], "start": str(start)}

        @task(inlets=[OFFLINE_FEATURES, champion(contract.registered_model_name)])
        def score_and_label(exported: dict[str, Any]) -> dict[str, Any]:
            start, _ = _interval()
            target = partition_dir(contract.use_case, start)
            if exported["rows"] == 0:
                # Nothing happened in the interval: the partition must be empty too, even if an
                # earlier run (on other raw data) wrote one.
                shutil.rmtree(target, ignore_errors=True)
                return {"rows": 0, "partition": str(target)}
            rules = rules_file(contract.use_case)
            pex, runtime = scoring_command(exported["rows"])
            result = run_component(
                pex,
                ["predict-batch", cli_name, "--entities", exported["entities"],
                 "--output", str(target / PART_FILE), "--rules", str(rules),
                 "--partition-date", f"{start.astimezone(UTC):%Y-%m-%d}", *runtime],
            )  # fmt: skip
            return {**result, "partition": str(target), "rules_file": str(rules)}

        predictions_asset = predictions(contract.use_case)

        @task(outlets=[predictions_asset])
        def publish(scored: dict[str, Any]) -> dict[str, Any]:
            context = get_current_context()
            start, end = _interval()
            context["outlet_events"][predictions_asset].extra = {
                "partition_date": f"{start.astimezone(UTC):%Y-%m-%d}",
                "rows": scored["rows"],
            }
            target = Path(scored["partition"])
            manifest = {
                "use_case": contract.use_case,
                "registered_model_name": contract.registered_model_name,
                "data_interval_start": start.isoformat(),
                "data_interval_end": end.isoformat(),
                "rows": scored["rows"],
                "model_version": scored.get("model_version"),
                "engine": scored.get("engine"),
                "rules_version": scored.get("rules_version"),
                "labels": scored.get("labels"),
                "dag_run_id": context["run_id"],
            }
            if scored["rows"] == 0:
                print(f"no entities in [{start}, {end}]; partition {target} left empty")
                return manifest
            write_json_atomically(target / MANIFEST, manifest)
            print(f"published {scored['rows']} rows to {target}: labels {scored.get('labels')}")
            return manifest

        publish(score_and_label(export_entities()))

    return batch_scoring()
