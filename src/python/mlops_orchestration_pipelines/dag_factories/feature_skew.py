"""Daily train/serve skew check of a model API's window features.

* ``fetch_decisions`` — asks the running service (Airflow connection ``mlops_<use_case>_api``)
  for a random sample of its recent decisions (``GET /admin/decisions``: card holder, decision
  time, the model inputs it used) and keeps them under ``$MLOPS_HOME/monitoring/skew/``. No
  connection: the task is skipped and names the connection to define.
* ``check_skew`` — ``feature-store-cli skew`` recomputes each decision's window features from
  the raw payments strictly before its decision time (the offline definition) and compares
  value by value. The gauges ``mlops_feature_skew_ratio{model,feature}`` go to node_exporter's
  textfile folder (``metrics_textfile_dir``), where the alert ``MlopsFeatureSkewHigh`` watches
  them; the JSON summary is the task's return value.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from airflow.exceptions import AirflowSkipException
from airflow.sdk import DAG, task

from mlops_common.contracts.features import ModelContract
from mlops_common.settings import PlatformSettings
from mlops_orchestration_pipelines.component_runs import run_component
from mlops_orchestration_pipelines.config.pipeline_variables import load_pipeline_variables
from mlops_orchestration_pipelines.dag_defaults import daily_timetable, model_dag
from mlops_orchestration_pipelines.plugins.operators.feast_materialize_operator import (
    FEATURE_STORE_PEX,
)
from mlops_orchestration_pipelines.utils.internal_api_hook import InternalApiHook, service_conn_id


def decisions_path(use_case: str) -> Path:
    return PlatformSettings().home / "monitoring" / "skew" / f"{use_case}_decisions.json"


def build_feature_skew_dag(contract: ModelContract, *, dag_id: str, cron: str, doc: str) -> DAG:
    model = contract.registered_model_name

    @model_dag(
        dag_id=dag_id,
        schedule=daily_timetable(cron),
        domain="monitoring",
        use_case=contract.use_case,
        doc_md=f"{doc}\n\n{__doc__}",
        timeout=timedelta(minutes=30),
    )
    def skew_check():
        @task
        def fetch_decisions() -> str:
            variables = load_pipeline_variables()
            hook = InternalApiHook.for_use_case(contract.use_case)
            if hook is None:
                raise AirflowSkipException(
                    f"no Airflow connection {service_conn_id(contract.use_case)}"
                )
            client = hook.get_conn()
            url = client.base_url
            payload = client.request(
                "GET", "/admin/decisions", params={"limit": variables.skew_sample_size}
            )
            target = decisions_path(contract.use_case)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.with_suffix(".tmp")
            staging.write_text(json.dumps(payload))
            staging.replace(target)
            print(f"{len(payload.get('decisions', []))} decision(s) from {url}")
            return str(target)

        @task
        def check_skew(path: str) -> dict:
            variables = load_pipeline_variables()
            textfile: list[str] = []
            if variables.metrics_textfile_dir:
                prom = variables.metrics_textfile_dir / f"skew_{model}.prom"
                textfile = ["--textfile", str(prom)]
            args = ["skew", "--decisions", path, "--model", model, *textfile]
            summary = run_component(FEATURE_STORE_PEX, args)
            print(f"skew ratio {summary['ratio']:.4f} over {summary['judged']} decision(s)")
            return summary

        check_skew(fetch_decisions())

    return skew_check()
