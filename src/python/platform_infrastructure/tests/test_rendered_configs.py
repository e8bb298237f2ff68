"""Render every template for the prod inventory and check each with its tool or parser.

promtool checks prometheus.yml, amtool alertmanager.yml and the blackbox exporter blackbox.yml
for real; airflow.cfg, Spark/Kafka/env files and the systemd unit are parsed with
configparser; YAML files are parsed and their key fields asserted.
"""

import configparser
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from platform_infrastructure.ansible_runner import REPO_ANSIBLE_DIR, run_playbook

PLAYBOOK = REPO_ANSIBLE_DIR / "playbooks" / "render_configs.yml"
VAULT_EXAMPLE = REPO_ANSIBLE_DIR / "inventories" / "prod" / "vault.example.yml"
SERVER1, SERVER2, SERVER3 = "10.0.0.11", "10.0.0.12", "10.0.0.13"
# Secrets with characters a URL or an INI file must escape ("/" ends a URL's host part, "%" is
# configparser's interpolation): every rendered URL must give them back unchanged.
REDIS_PASSWORD = "r/e:d@is%1"
PG_PASSWORD = "p/g:s@ql%2"
SECRETS = {
    "vault_redis_password": REDIS_PASSWORD,
    "vault_postgresql_feast_password": PG_PASSWORD,
    "vault_postgresql_mlflow_password": PG_PASSWORD,
    "vault_postgresql_airflow_password": PG_PASSWORD,
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    result = run_playbook(
        PLAYBOOK,
        tmp_path_factory.mktemp("ansible-home"),
        {
            "render_dir": str(out),
            "ansible_connection": "local",
            "ansible_become": False,
            "ansible_python_interpreter": sys.executable,
            **yaml.safe_load(VAULT_EXAMPLE.read_text()),
            **SECRETS,
        },
        inventory="prod",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return out


def _env_file(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def _shell_env_file(path: Path) -> dict[str, str]:
    """An env file whose values are shell-quoted (what a shell or systemd reads)."""
    return {key: shlex.split(value)[0] for key, value in _env_file(path).items()}


def _url_parts(url: str) -> tuple[str | None, str | None, int | None, str | None]:
    """(decoded password, host, port, path) of a URL, as the components' clients read it."""
    parts = urlsplit(url)
    password = unquote(parts.password) if parts.password else None
    return password, parts.hostname, parts.port, parts.path


def test_prometheus_config_passes_promtool_and_scrapes_inventory_hosts(rendered: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run build-support/bootstrap_system.sh"
    config = rendered / "server3" / "prometheus.yml"
    check = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    prometheus = yaml.safe_load(config.read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    # mlops-* job names: MlopsScrapeTargetDown selects up{job=~"mlops-.*"}.
    fraud = jobs["mlops-fraud-detection-api"]["static_configs"][0]
    assert fraud["targets"] == [f"{SERVER3}:8001"]
    assert fraud["labels"] == {"service": "fraud-detection-api", "server": "server3"}
    churn = jobs["mlops-customer-churn-api"]["static_configs"][0]
    assert churn["targets"] == [f"{SERVER3}:8002"]
    node = jobs["mlops-node"]["static_configs"]
    assert [c["targets"][0] for c in node] == [
        f"{SERVER1}:9100",
        f"{SERVER2}:9100",
        f"{SERVER3}:9100",
    ]
    assert [c["labels"]["server"] for c in node] == ["server1", "server2", "server3"]
    for job in prometheus["scrape_configs"]:
        for static in job["static_configs"]:
            assert static["labels"]["server"] in {"server1", "server2", "server3"}, job
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        f"{SERVER3}:9093"
    ]


def test_component_probes_go_through_the_blackbox_exporter(rendered: Path) -> None:
    config = yaml.safe_load((rendered / "server3" / "prometheus.yml").read_text())
    probe = next(j for j in config["scrape_configs"] if j["job_name"] == "mlops-component-probe")
    assert probe["metrics_path"] == "/probe"
    probes = {
        c["labels"]["component"]: (
            c["labels"]["server"],
            c["labels"]["__param_module"],
            c["targets"],
        )
        for c in probe["static_configs"]
    }
    assert probes == {
        "airflow": ("server2", "http_2xx", [f"http://{SERVER2}:8080/api/v2/monitor/health"]),
        "mlflow": ("server2", "http_2xx", [f"http://{SERVER2}:5000/health"]),
        "redis": ("server2", "redis_ping", [f"{SERVER2}:6379"]),
        "postgresql": ("server1", "tcp_connect", [f"{SERVER1}:5432"]),
    }
    # prod binds every interface: Prometheus reaches the exporter on its own server locally.
    assert probe["relabel_configs"][-1] == {
        "target_label": "__address__",
        "replacement": "127.0.0.1:9115",
    }
    blackbox = rendered / "server3" / "blackbox.yml"
    check = subprocess.run(
        ["/usr/bin/prometheus-blackbox-exporter", "--config.check", f"--config.file={blackbox}"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    modules = yaml.safe_load(blackbox.read_text())["modules"]
    assert {m["prober"] for m in modules.values()} == {"http", "tcp"}
    assert {"http_2xx", "tcp_connect", "redis_ping"} <= set(modules)


def test_alertmanager_config_passes_amtool(rendered: Path) -> None:
    amtool = shutil.which("amtool")
    assert amtool, "amtool missing: run build-support/bootstrap_system.sh"
    config = rendered / "server3" / "alertmanager.yml"
    check = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    route = yaml.safe_load(config.read_text())["route"]
    assert route["group_by"] == ["alertname", "service", "server"]
    assert route["receiver"] == "mlops-default"


def test_airflow_cfg_parses_and_points_at_server1_postgres(rendered: Path) -> None:
    # Airflow reads airflow.cfg with configparser's interpolation ("%%" is one "%").
    cfg = configparser.ConfigParser()
    cfg.read(rendered / "server2" / "airflow.cfg")
    assert cfg["core"]["load_examples"] == "False"
    assert cfg["database"]["sql_alchemy_conn"].startswith("postgresql+psycopg://airflow:")
    assert _url_parts(cfg["database"]["sql_alchemy_conn"]) == (
        PG_PASSWORD, SERVER1, 5432, "/airflow"
    )  # fmt: skip
    assert not cfg.has_option("mlops", "redis_url")  # a secret; airflow.env has it
    assert cfg["api"]["base_url"] == f"http://{SERVER2}:8080"
    assert cfg["mlops"]["mlflow_tracking_uri"] == f"http://{SERVER2}:5000"


def test_grafana_provisioning(rendered: Path) -> None:
    datasources = yaml.safe_load((rendered / "server3" / "datasources.yml").read_text())
    assert datasources["apiVersion"] == 1
    by_uid = {ds["uid"]: ds for ds in datasources["datasources"]}
    assert by_uid["prometheus"]["url"] == f"http://{SERVER3}:9090"
    assert by_uid["prometheus"]["isDefault"] is True
    assert by_uid["mlflow-postgres"]["jsonData"]["sslmode"] == "disable"
    dashboards = yaml.safe_load((rendered / "server3" / "dashboards.yml").read_text())
    provider = dashboards["providers"][0]
    assert (
        provider["type"] == "file"
        and provider["options"]["path"] == "/opt/mlops/grafana/dashboards"
    )


def test_feast_feature_store_yaml_for_servers(rendered: Path) -> None:
    fs = yaml.safe_load((rendered / "server2" / "feature_store.yaml").read_text())
    assert fs["registry"]["registry_type"] == "sql"
    # No secret in the file: Feast expands ${VAR} from feast.env (mode 0600) at load time.
    assert fs["registry"]["path"] == f"postgresql+psycopg://feast@{SERVER1}:5432/feast_registry"
    connect_args = fs["registry"]["sqlalchemy_config_kwargs"]["connect_args"]
    assert connect_args == {"password": "${MLOPS_FEAST_POSTGRES_PASSWORD}"}
    assert fs["online_store"] == {
        "type": "redis",
        "connection_string": f"{SERVER2}:6379,db=0,password=${{MLOPS_FEAST_REDIS_PASSWORD}}",
    }
    assert fs["offline_store"]["password"] == "${MLOPS_FEAST_POSTGRES_PASSWORD}"
    assert "CHANGE_ME" not in (rendered / "server2" / "feature_store.yaml").read_text()
    secrets = _env_file(rendered / "server2" / "feast.env")
    assert secrets == {
        "MLOPS_FEAST_POSTGRES_PASSWORD": PG_PASSWORD,
        "MLOPS_FEAST_REDIS_PASSWORD": REDIS_PASSWORD,
    }
    offline = fs["offline_store"]
    assert (offline["type"], offline["host"], offline["database"], offline["sslmode"]) == (
        "postgres",
        SERVER1,
        "feast_offline",
        "disable",
    )


def test_mlflow_server_settings(rendered: Path) -> None:
    env = _env_file(rendered / "server2" / "mlflow-server.env")
    assert env["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql+psycopg://mlflow:")
    assert _url_parts(env["MLFLOW_BACKEND_STORE_URI"]) == (PG_PASSWORD, SERVER1, 5432, "/mlflow")
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert env["MLFLOW_HOST"] == "0.0.0.0"


def test_service_unit_and_env(rendered: Path) -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    # systemd keys are case-sensitive; typeshed declares optionxform a method, but
    # configparser documents assigning it.
    unit.optionxform = str  # type: ignore[method-assign, assignment]
    unit.read(rendered / "server3" / "mlops-fraud-detection-api.service")
    assert unit["Service"]["ExecStart"].endswith(
        "/opt/mlops/services/fraud-detection-api/current.pex"
    )
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Service"]["User"] == "mlops"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    env = _shell_env_file(rendered / "server3" / "fraud-detection-api.env")
    # The API authenticates to Redis with the password redis.conf requires.
    assert _url_parts(env["MLOPS_REDIS_URL"]) == (REDIS_PASSWORD, SERVER2, 6379, "/0")
    redis_conf = (rendered / "server2" / "redis.conf").read_text().splitlines()
    assert f"requirepass {REDIS_PASSWORD}" in redis_conf
    assert env["MLOPS_MLFLOW_TRACKING_URI"] == f"http://{SERVER2}:5000"


def test_filebeat_spark_kafka_and_platform_env(rendered: Path) -> None:
    filebeat = yaml.safe_load((rendered / "server3" / "filebeat.yml").read_text())
    assert filebeat["output.elasticsearch"]["hosts"] == [f"http://{SERVER3}:9200"]
    assert filebeat["filebeat.inputs"][0]["paths"] == ["/opt/mlops/logs/*.log"]
    kafka = _env_file(rendered / "server1" / "server.properties")
    assert kafka["advertised.listeners"] == f"PLAINTEXT://{SERVER1}:9092"
    spark = dict(
        line.split(None, 1)
        for line in (rendered / "server1" / "spark-defaults.conf").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert spark["spark.master"] == f"spark://{SERVER1}:7077"
    platform = _env_file(rendered / "server1" / "platform.env")
    assert platform["MLOPS_POSTGRES_DSN"].startswith("postgresql://feast:")
    assert _url_parts(platform["MLOPS_POSTGRES_DSN"]) == (
        PG_PASSWORD, SERVER1, 5432, "/feast_offline"
    )  # fmt: skip
    assert _url_parts(platform["MLOPS_REDIS_URL"]) == (REDIS_PASSWORD, SERVER2, 6379, "/0")


def test_airflow_env_reaches_every_service_with_its_secrets(rendered: Path) -> None:
    """The DAGs' environment on server 2: the components' URLs with their passwords, and a
    connection per model service (the training DAGs reload the API after a promotion and the
    shadow DAGs pull its log through it: without one both silently do nothing in prod)."""
    env = _shell_env_file(rendered / "server2" / "airflow.env")
    assert _url_parts(env["MLOPS_REDIS_URL"]) == (REDIS_PASSWORD, SERVER2, 6379, "/0")
    assert _url_parts(env["MLOPS_POSTGRES_DSN"]) == (PG_PASSWORD, SERVER1, 5432, "/feast_offline")
    apis = {
        key: json.loads(value) for key, value in env.items() if key.endswith("_API")
    }  # fmt: skip
    assert sorted(apis) == [
        "AIRFLOW_CONN_MLOPS_CUSTOMER_CHURN_API",
        "AIRFLOW_CONN_MLOPS_FRAUD_DETECTION_API",
    ]
    assert (apis["AIRFLOW_CONN_MLOPS_FRAUD_DETECTION_API"]["host"],
            apis["AIRFLOW_CONN_MLOPS_FRAUD_DETECTION_API"]["port"]) == (SERVER3, 8001)  # fmt: skip
    assert apis["AIRFLOW_CONN_MLOPS_CUSTOMER_CHURN_API"]["port"] == 8002
    redis = json.loads(env["AIRFLOW_CONN_MLOPS_REDIS"])
    assert (redis["host"], redis["password"]) == (SERVER2, REDIS_PASSWORD)
