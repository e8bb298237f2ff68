"""One function per platform step; the CLI subcommands and the quickstart call these.

Each step runs a component PEX (see ``components``) and returns a small dict for the final
summary. Steps are idempotent: data generation is seeded, Feast apply/materialize converge,
a retrain registers a new version but promotes only if it beats the champion, and batch
outputs are overwritten atomically by the trainer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import httpx
from pydantic import PostgresDsn, TypeAdapter

from mlops_common.cli_contract import eprint
from mlops_common.contracts.features import MODEL_CONTRACTS, USE_CASE_BY_SHORT_NAME
from mlops_common.label_engine import bundled_rules_path
from mlops_common.pex_runner import run_pex_status
from mlops_common.settings import Profile
from mlops_platform_cli.components import component_env, pex_path, run_component
from mlops_platform_cli.service_processes import (
    ServiceSpec,
    python_command,
    start_service,
    stop_service,
)
from mlops_platform_cli.settings import CliSettings

MODELS = USE_CASE_BY_SHORT_NAME
Log = Callable[[str], None]


def generate_data(settings: CliSettings, log: Log = eprint) -> dict:
    args = ["data", "--users", str(settings.users), "--transactions", str(settings.transactions)]
    args += ["--days", str(settings.days)]
    _, result = run_component(settings, "features", args, log=log)
    return result


def features(settings: CliSettings, action: str, log: Log = eprint) -> dict:
    """``transform`` (dbt + Spark + ETL), ``apply``, ``materialize`` or ``labels``."""
    _, result = run_component(settings, "features", [action], log=log)
    return result


def train(settings: CliSettings, model: str, promote: bool = True, log: Log = eprint) -> dict:
    args = ["train", model] + (["--promote"] if promote else [])
    _, result = run_component(settings, "trainer", args, log=log)
    return result


def promote(settings: CliSettings, model: str, log: Log = eprint) -> dict:
    _, result = run_component(settings, "trainer", ["promote", model], log=log)
    return result


def labels_path(settings: CliSettings, model: str) -> Path:
    return settings.home / "labels" / f"{MODELS[model]}_labels.parquet"


def batch_output_path(settings: CliSettings, model: str, name: str = "latest") -> Path:
    return settings.home / "predictions" / MODELS[model] / f"{name}.parquet"


def export_entities(
    settings: CliSettings, model: str, start: datetime, end: datetime, log: Log = eprint
) -> Path:
    """Entity rows (with request features) of events in ``[start, end)``."""
    output = settings.home / "scratch" / "entities" / f"{MODELS[model]}.parquet"
    args = ["entities", "--use-case", MODELS[model], "--start", start.isoformat()]
    args += ["--end", end.isoformat(), "--output", str(output)]
    run_component(settings, "features", args, log=log)
    return output


def batch_score(
    settings: CliSettings,
    model: str,
    entities: Path | None = None,
    output: Path | None = None,
    log: Log = eprint,
    partition_date: date | None = None,
) -> dict:
    """Score entity rows (default: the label table's rows) with the champion and its rules.

    With ``partition_date`` on the servers profile the trainer also replaces that day's rows
    of ``mlops_predictions.<registered model name>`` in PostgreSQL.
    """
    entities = entities or labels_path(settings, model)
    output = output or batch_output_path(settings, model)
    output.parent.mkdir(parents=True, exist_ok=True)
    args = ["predict-batch", model, "--entities", str(entities), "--output", str(output)]
    args += ["--rules", str(rules_path(settings, model))]
    if partition_date is not None:
        args += ["--partition-date", partition_date.isoformat()]
    _, result = run_component(settings, "trainer", args, log=log)
    return {**result, "output": str(output)}


def rules_path(settings: CliSettings, model: str) -> Path:
    """The Label Engine rules: ``MLOPS_CLI_RULES_DIR/<use_case>.yaml`` or the bundled file."""
    if settings.rules_dir is not None:
        return settings.rules_dir / f"{MODELS[model]}.yaml"
    return bundled_rules_path(MODELS[model])


def drift(
    settings: CliSettings, model: str, reference: Path, current: Path, log: Log = eprint
) -> dict:
    """Drift of ``current`` vs ``reference``; ``flagged`` is True when monitoring says retrain."""
    contract = MODEL_CONTRACTS[MODELS[model]]
    registered = contract.registered_model_name
    args = ["drift", "--reference", str(reference), "--current", str(current)]
    args += ["--model", registered, "--features", ",".join(contract.feature_names)]
    args += ["--score", "score", "--output-dir", str(settings.reports_dir)]
    code, result = run_component(settings, "monitoring", args, ok_codes=(0, 3), log=log)
    result["flagged"] = code == 3
    result["report"] = str(settings.reports_dir / f"drift_{registered}.html")
    return result


def retraining_report(settings: CliSettings, month: str | None = None, log: Log = eprint) -> dict:
    args = ["retraining-report", "--output-dir", str(settings.reports_dir)]
    if month:
        args += ["--month", month]
    _, result = run_component(settings, "monitoring", args, log=log)
    return result


# --- long-running processes: MLflow server (servers profile) and the model APIs ---------------

SAMPLE_FRAUD_REQUESTS = (
    {"transaction_id": "qs-1", "user_id": 1, "amount": 23.5, "merchant_category": "grocery",
     "country": "US", "hour_of_day": 14},
    {"transaction_id": "qs-2", "user_id": 2, "amount": 2450.0, "merchant_category": "electronics",
     "country": "PL", "hour_of_day": 3},
    {"transaction_id": "qs-3", "user_id": 3, "amount": 980.0, "merchant_category": "gambling",
     "country": "GB", "hour_of_day": 2},
)  # fmt: skip


def mlflow_backend_uri(postgres_dsn: str, database: str) -> str:
    """The platform's PostgreSQL server with ``database`` and the psycopg 3 driver MLflow needs.

    Parsed by pydantic's :class:`~pydantic.PostgresDsn` (credentials, host, port kept as
    given, percent-encoding included), never split by hand.
    """
    dsn = TypeAdapter(PostgresDsn).validate_python(postgres_dsn)
    host = dsn.hosts()[0]
    return str(
        PostgresDsn.build(
            scheme="postgresql+psycopg",
            username=host["username"],
            password=host["password"],
            host=host["host"] or "127.0.0.1",
            port=host["port"],
            path=database,
        )
    )


def mlflow_server_spec(settings: CliSettings) -> ServiceSpec:
    """The MLflow tracking server of the servers profile, run from the trainer's PEX.

    The trainer PEX already carries the full ``mlflow`` package, so the CLI needs no MLflow of
    its own: ``PEX_SCRIPT=mlflow`` runs its console script. Backend: the PostgreSQL database
    ``MLOPS_CLI_MLFLOW_DATABASE`` (created on first start), artifacts under ``MLOPS_HOME``.
    """
    backend = mlflow_backend_uri(settings.platform.postgres_dsn, settings.mlflow_database)
    artifacts = settings.home / "mlflow-server" / "artifacts"
    command = [
        *python_command(pex_path(settings, "trainer")),
        "server", "--backend-store-uri", backend, "--artifacts-destination", str(artifacts),
        "--host", "127.0.0.1", "--port", str(settings.mlflow_port), "--workers", "1",
    ]  # fmt: skip
    env = component_env(settings)
    env.update({"PEX_SCRIPT": "mlflow", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    return ServiceSpec("mlflow-server", command, settings.mlflow_port, env, ready_path="/health")


def ensure_mlflow_database(settings: CliSettings, log: Log = eprint) -> None:
    """``CREATE DATABASE`` for the MLflow backend if missing (psycopg from the trainer PEX)."""
    code = (
        "import psycopg,sys\n"
        "dsn, db = sys.argv[1], sys.argv[2]\n"
        "with psycopg.connect(dsn, autocommit=True) as c:\n"
        "    if not c.execute('select 1 from pg_database where datname=%s', (db,)).fetchone():\n"
        "        c.execute(f'CREATE DATABASE \"{db}\"'); print(f'created database {db}')\n"
    )
    run_pex_status(
        pex_path(settings, "trainer"),
        ["-c", code, settings.platform.postgres_dsn, settings.mlflow_database],
        env={**component_env(settings), "PEX_INTERPRETER": "1"},
        log=log,
    )


def api_specs(settings: CliSettings) -> list[ServiceSpec]:
    env = component_env(settings)
    env["MLOPS_SERVICE_API_KEY"] = settings.api_key
    specs = []
    for component, port in (("fraud_api", settings.fraud_port), ("churn_api", settings.churn_port)):
        pex = pex_path(settings, component)
        command = [*python_command(pex), "--host", "127.0.0.1", "--port", str(port)]
        specs.append(ServiceSpec(pex.stem, command, port, env))
    return specs


def start_mlflow_server(settings: CliSettings, log: Log = eprint) -> dict:
    """Servers profile only: the tracking server every component talks to."""
    if settings.platform.profile != Profile.SERVERS:
        return {}
    ensure_mlflow_database(settings, log=log)
    spec = mlflow_server_spec(settings)
    start_service(spec, settings.run_dir, ready_timeout_s=240)
    log(f"{spec.name} ready at {spec.base_url}")
    return {spec.name: spec.base_url}


def serve(settings: CliSettings, log: Log = eprint) -> dict:
    """Start both model APIs (and the MLflow server in the servers profile); wait until ready."""
    started = start_mlflow_server(settings, log=log)
    for spec in api_specs(settings):
        start_service(spec, settings.run_dir, ready_timeout_s=120)
        started[spec.name] = spec.base_url
        log(f"{spec.name} ready at {spec.base_url} (docs {spec.base_url}/docs)")
    return started


def stop(settings: CliSettings, log: Log = eprint) -> dict:
    names = ["fraud-detection-api", "customer-churn-api", "mlflow-server"]
    stopped = [name for name in names if stop_service(name, settings.run_dir)]
    for name in stopped:
        log(f"stopped {name}")
    return {"stopped": stopped}


def score_samples(settings: CliSettings, log: Log = eprint) -> dict:
    """Score sample requests through both running APIs and show what the service did."""
    headers = {"x-api-key": settings.api_key}
    results: dict[str, list[dict]] = {"fraud": [], "churn": []}
    with httpx.Client(timeout=10.0, headers=headers) as client:
        base = f"http://127.0.0.1:{settings.fraud_port}/v1/fraud"
        for request in SAMPLE_FRAUD_REQUESTS:
            results["fraud"].append(_post(client, f"{base}/score", request, log))
        base = f"http://127.0.0.1:{settings.churn_port}/v1/churn"
        for user_id in (1, 2, 3):
            results["churn"].append(_post(client, f"{base}/score", {"user_id": user_id}, log))
    return results


def _post(client: httpx.Client, url: str, payload: dict, log: Log) -> dict:
    response = client.post(url, json=payload)
    if response.status_code != 200:
        raise RuntimeError(f"POST {url} answered {response.status_code}: {response.text[:300]}")
    body = response.json()
    stored = {k: v for k, v in body["features"].items() if k not in payload}
    log(
        f"POST {url.split('/v1/')[1]} user {payload['user_id']}: p={body['probability']:.4f}"
        f" label={body['label']} rules={body['fired_rules'] or '-'}"
        f" model v{body['model_version']}{' DEGRADED' if body['degraded'] else ''}"
    )
    log(f"    online features: {json.dumps(stored, default=str)[:240]}")
    return body
