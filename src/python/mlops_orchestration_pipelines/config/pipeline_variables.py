"""Pipeline variables with three layers, lowest first:

1. the packaged defaults in ``pipeline_variables.json`` (or the file named by
   ``MLOPS_PIPELINE_VARIABLES_FILE``),
2. the JSON Airflow Variable ``mlops_pipeline`` when called inside a running task,
3. environment variables ``MLOPS_PIPELINE_<FIELD>`` (``__`` for nesting).

Layers 1 and 3 work without a scheduler so tests and the CLI see the same values as DAGs.
Service endpoints are not variables: they are Airflow Connections ``mlops_<use_case>_api``
(``utils/internal_api_hook.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import Field, PositiveInt, PostgresDsn
from pydantic_settings import SettingsConfigDict

from mlops_common.settings import MlopsBaseSettings

DEFAULTS_FILE = Path(__file__).with_name("pipeline_variables.json")
AIRFLOW_VARIABLE = "mlops_pipeline"


class PipelineVariables(MlopsBaseSettings):
    model_config = SettingsConfigDict(env_prefix="MLOPS_PIPELINE_")

    pex_dir: Path = Field(description="Folder holding the components' Pants-built PEX files.")
    mlflow_db_dsn: PostgresDsn = Field(description="MLflow's metadata database (backups).")
    backup_dir: Path
    backup_keep: PositiveInt = 7
    drift_psi_threshold: float = Field(0.2, gt=0)
    skew_sample_size: PositiveInt = Field(
        500, description="Recent decisions per service the feature-skew check recomputes."
    )
    transaction_stream: str = Field(
        "transactions", description="Redis stream (or Kafka topic) of card transactions."
    )
    metrics_textfile_dir: Path | None = Field(
        None,
        description="node_exporter's textfile-collector folder: drift checks write their gauges"
        " there (drift_<model>.prom) so Prometheus scrapes them; unset: next to the report.",
    )
    rules_dir: Path | None = Field(
        None,
        description="Folder of reviewed Label Engine rules (<use_case>.yaml) overriding the"
        " rules shipped with the DAG bundle.",
    )
    batch_spark_min_rows: PositiveInt | None = Field(
        None,
        description="Batch scoring: a day with at least this many entity rows is scored on"
        " Spark by the batch-scoring-spark PEX (which must then be in pex_dir); unset: always"
        " the trainer PEX in one process (on 2 cores Spark local[2] never won, see the"
        " ml_model_development batch benchmark).",
    )

    shadow_log_pull_days: int = Field(
        0,
        ge=0,
        le=90,
        description="promote_<model>_challenger first copies this many UTC days (today back) of"
        " the shadow log from the model API (GET /admin/shadow-log) into MLOPS_SHADOW_ROOT: the"
        " servers, where the API writes it on another host. 0: read the local folder as is"
        " (one host: the API writes the folder training reads).",
    )


def _airflow_overrides() -> dict[str, Any]:
    try:
        from airflow.sdk import Variable

        value = Variable.get(AIRFLOW_VARIABLE, default=None, deserialize_json=True)
    except Exception:  # - no task context / no API server: defaults apply
        return {}
    return value if isinstance(value, dict) else {}


def load_pipeline_variables(*, use_airflow: bool = True) -> PipelineVariables:
    path = Path(os.environ.get("MLOPS_PIPELINE_VARIABLES_FILE", DEFAULTS_FILE))
    try:
        base: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"pipeline variables file {path} not found; set MLOPS_PIPELINE_VARIABLES_FILE"
        ) from exc
    if use_airflow:
        base.update(_airflow_overrides())
    # Environment wins over file/Variable: pass file values as init defaults only for the
    # fields the environment does not set.
    env_set = {
        name
        for name in PipelineVariables.model_fields
        if any(k.startswith(f"MLOPS_PIPELINE_{name.upper()}") for k in os.environ)
    }
    return PipelineVariables(**{k: v for k, v in base.items() if k not in env_set})
