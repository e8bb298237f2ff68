"""Daily feature pipeline: dbt + Spark + Python ETL → labels / ``feast apply`` → materialize.

Transformations rebuild their tables from the raw data (dbt models and the Spark job
overwrite whole outputs) with the activity snapshot taken at the run's ``data_interval_end``,
``feast apply`` is declarative, and materialization stops at that same instant — so
re-running a day leaves the same state. ``build_labels``
rewrites the trainers' label tables (``$MLOPS_HOME/labels/<use_case>_labels.parquet``) from
the raw data, aligned with the feature snapshot the transform just wrote.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task

from mlops_orchestration_pipelines.assets import OFFLINE_FEATURES, ONLINE_FEATURES, RAW_DATA
from mlops_orchestration_pipelines.component_runs import run_component
from mlops_orchestration_pipelines.dag_defaults import DEFAULT_ARGS, PLATFORM_TAG, START_DATE
from mlops_orchestration_pipelines.plugins.operators.feast_materialize_operator import (
    FEATURE_STORE_PEX,
    FeastMaterializeOperator,
)


@dag(
    dag_id="run_dbt_feast_models",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(hours=1)},
    tags=[PLATFORM_TAG, "features"],
    doc_md=__doc__,
    max_active_runs=1,
)
def run_dbt_feast_models():
    @task(inlets=[RAW_DATA], outlets=[OFFLINE_FEATURES])
    def transform() -> None:
        # Snapshot features (user_activity, tenure) as of the run's interval end, not "now":
        # a re-run or backfill of a day rebuilds that day's snapshot.
        end = get_current_context().get("data_interval_end")
        env = {"FEATURES_AS_OF": end.isoformat()} if end is not None else None
        run_component(FEATURE_STORE_PEX, ["transform"], env=env)

    @task(inlets=[RAW_DATA])
    def build_labels() -> None:
        run_component(FEATURE_STORE_PEX, ["labels"])

    @task
    def feast_apply() -> None:
        run_component(FEATURE_STORE_PEX, ["apply"])

    transformed = transform()
    applied = feast_apply()
    transformed >> [build_labels(), applied]
    applied >> FeastMaterializeOperator(task_id="materialize", outlets=[ONLINE_FEATURES])


run_dbt_feast_models()
