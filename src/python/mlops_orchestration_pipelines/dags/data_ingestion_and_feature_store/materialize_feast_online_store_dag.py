"""Hourly incremental materialization of the online store up to the end of the hour."""

from __future__ import annotations

from airflow.sdk import DAG

from mlops_orchestration_pipelines.assets import ONLINE_FEATURES
from mlops_orchestration_pipelines.dag_defaults import DEFAULT_ARGS, PLATFORM_TAG, START_DATE
from mlops_orchestration_pipelines.plugins.operators.feast_materialize_operator import (
    FeastMaterializeOperator,
)

with DAG(
    dag_id="materialize_feast_online_store",
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=[PLATFORM_TAG, "features"],
    doc_md=__doc__,
    max_active_runs=1,
):
    FeastMaterializeOperator(task_id="materialize", outlets=[ONLINE_FEATURES])
