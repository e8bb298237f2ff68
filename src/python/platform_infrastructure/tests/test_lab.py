"""The three servers for real: site.yml deploys the lab, Airflow's scheduler runs the pipelines.

One module, run in file order on one deployed lab (it takes minutes to build, so every test
builds on what the previous one left, as an operator's session would):

1. ``site.yml`` with the lab inventory deploys server 1 (databases, feature-store CLI),
   server 2 (Airflow 3 from its PEX with the five DAG bundles, MLflow server, Redis) and
   server 3 (both model APIs, Prometheus with every rule group, Alertmanager, exporters);
   a second run changes nothing and ``--check --diff`` predicts no change;
2. the pipelines run under Airflow's own scheduler, triggered over its REST API: features →
   fraud training (promotion in the MLflow server, the DAG reloads the fraud API, which then
   serves the new champion) → batch scoring → drift check;
3. a broken release of the fraud API is rolled back and the champion keeps serving;
4. the churn API stops: Prometheus fires the scrape-down alert, Alertmanager receives it;
   all of server 2 stops: server 3 keeps answering (degraded features, cached model) and the
   component alerts fire; server 2 comes back and everything recovers without a redeploy.

The lab runs on 127.0.0.21-23 (not the 127.0.0.11-13 of ``lab.sh``, so a developer's lab is
left alone) with a unique database prefix, all dropped afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from platform_infrastructure.ansible_runner import REPO_ANSIBLE_DIR, PlaybookResult, run_playbook
from platform_infrastructure.lab.airflow_rest import AirflowClient
from platform_infrastructure.lab.cli import purge, stop_all
from platform_infrastructure.lab.pipeline import (
    champion_version,
    get_json,
    seed_source_data,
    wait_until_serving,
)
from platform_infrastructure.lab.topology import SERVER2_PROCESSES, Lab

SITE = REPO_ANSIBLE_DIR / "playbooks" / "site.yml"
DEPLOY_SERVICE = REPO_ANSIBLE_DIR / "playbooks" / "deploy_model_service.yml"
VAULT_PASSWORD = REPO_ANSIBLE_DIR / "inventories" / "lab" / "vault-password.txt"
ADDRESSES = {"server1": "127.0.0.21", "server2": "127.0.0.22", "server3": "127.0.0.23"}
RULE_FILES = sorted(Path("dashboards/alerts").glob("*.yml"))
FRAUD = "fraud-detection-api"
CHURN = "customer-churn-api"
FRAUD_MODEL = "fraud_detection_xgboost"


def log(message: str) -> None:
    print(f"[{datetime.now(tz=UTC):%H:%M:%S}] {message}", flush=True)


def eventually(check, *, timeout_s: float, what: str, poll_s: float = 3.0):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(poll_s)
    raise AssertionError(f"{what}: not true within {timeout_s:.0f}s (last: {last!r})")


class LabDeployment:
    def __init__(self, root: Path, prefix: str) -> None:
        self.lab = Lab(root, dict(ADDRESSES))
        self.prefix = prefix
        self.ansible_home = root / "ansible-home"
        self.extra: dict[str, object] = {
            "lab_root": str(root),
            "mlops_db_prefix": prefix,
            # Pants puts the packaged PEXes under the sandbox root, where the inventory expects dist/.
            "mlops_dist_dir": os.environ.get("MLOPS_LAB_TEST_DIST", str(Path.cwd())),
            **{f"lab_address_{server}": address for server, address in ADDRESSES.items()},
        }

    def playbook(self, playbook: Path, *args: str, **extra: object) -> PlaybookResult:
        return run_playbook(
            playbook,
            self.ansible_home,
            {**self.extra, **extra},
            inventory="lab",
            extra_args=["--vault-password-file", str(VAULT_PASSWORD.resolve()), *args],
        )

    def client(self) -> AirflowClient:
        return AirflowClient(self.lab.airflow_url, "admin", self.lab.airflow_password())

    def score(self, user_id: int) -> tuple[int, dict]:
        body = json.dumps(
            {
                "transaction_id": f"lab-{uuid.uuid4().hex[:8]}",
                "user_id": user_id,
                "amount": 129.5,
                "merchant_category": "electronics",
                "country": "PL",
                "hour_of_day": 3,
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.lab.api_url(FRAUD)}/v1/fraud/score", body, method="POST",
            headers={"content-type": "application/json",
                     "x-api-key": self.lab.service_api_key(FRAUD)},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")


def _recap(result: PlaybookResult) -> str:
    return result.stdout[-6000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDeployment]:
    root = tmp_path_factory.mktemp("lab")
    prefix = f"labtest_{uuid.uuid4().hex[:6]}_"
    deployment = LabDeployment(root, prefix)
    # A lab test cancelled before its teardown (Ctrl-C, a Pants restart) leaves processes on
    # the test addresses; they live under an earlier run's temp root, never a developer's lab.
    # (redis-server rewrites its command line to "redis-server ADDRESS:PORT").
    for pattern in (r"/pytest-of-[^/]+/pytest-[0-9]+/lab[0-9]*/server[123]/",
                    f"redis-server {ADDRESSES['server2']}:"):  # fmt: skip
        subprocess.run(["pkill", "-f", pattern], check=False)
        eventually(
            lambda p=pattern: subprocess.run(["pgrep", "-f", p], capture_output=True).returncode,
            timeout_s=30,
            what=f"leftover processes matching {pattern} gone",
            poll_s=0.5,
        )
    # ... and its databases (every test lab's start with "labtest_").
    purge(deployment.lab, "labtest_", remove_files=False)
    os.environ.setdefault("PEX_ROOT", str(root / "pex_root"))
    try:
        started = time.monotonic()
        first = deployment.playbook(SITE)
        log(f"site.yml first run: {time.monotonic() - started:.0f}s")
        assert first.returncode == 0, _recap(first)
        yield deployment
    finally:
        _show_dead_processes(deployment.lab)
        stop_all(deployment.lab)
        purge(deployment.lab, prefix)


def _show_dead_processes(lab: Lab) -> None:
    """Before tearing down: the log tail of every lab process that is not running any more."""
    for server in ADDRESSES:
        bin_dir = lab.server_root(server) / "bin"
        for launch in sorted(bin_dir.glob("*.sh")) if bin_dir.is_dir() else []:
            if not lab.is_running(server, launch.stem):
                log_file = lab.server_root(server) / "logs" / f"{launch.stem}.log"
                tail = (
                    log_file.read_text(errors="replace").splitlines()[-40:]
                    if log_file.exists()
                    else []
                )
                print(f"--- {server} {launch.stem} is not running; log tail:\n" + "\n".join(tail))


def test_site_deploys_every_server(deployed: LabDeployment) -> None:
    lab = deployed.lab
    health = get_json(f"{lab.airflow_url}/api/v2/monitor/health")[1]
    assert health["metadatabase"]["status"] == "healthy", health
    assert health["scheduler"]["status"] == "healthy", health
    bundles = lab.server_root("server2") / "airflow" / "bundles"
    expected = {
        d for m in bundles.glob("*/manifest.json") for d in json.loads(m.read_text())["dag_ids"]
    }
    assert len(expected) >= 12, expected
    client = deployed.client()
    dag_ids = eventually(
        lambda: set(client.dag_ids()) >= expected and client.dag_ids(),
        timeout_s=180,
        what="every bundle's DAGs parsed",
    )
    assert set(dag_ids) == expected
    assert client.import_errors() == []
    assert get_json(f"{lab.mlflow_url}/health")[0] == 200
    # No champion yet: the APIs run and say why they are not ready.
    for service in (FRAUD, CHURN):
        assert get_json(f"{lab.api_url(service)}/health/live")[0] == 200
    # Prometheus: every rule group of dashboards/alerts loaded, every scrape target up.
    groups = {g["name"] for f in RULE_FILES for g in yaml.safe_load(f.read_text())["groups"]}
    rules = get_json(f"{lab.prometheus_url}/api/v1/rules")[1]["data"]["groups"]
    assert {g["name"] for g in rules} == groups
    targets = eventually(
        lambda: (t := get_json(f"{lab.prometheus_url}/api/v1/targets")[1]["data"]["activeTargets"])
        and all(x["health"] == "up" for x in t)
        and t,
        timeout_s=90,
        what="every scrape target up",
    )
    jobs = {t["labels"]["job"] for t in targets}
    assert {f"mlops-{FRAUD}", f"mlops-{CHURN}"} <= jobs, jobs
    assert get_json(f"{lab.alertmanager_url}/-/ready")[0] == 200


def test_second_run_changes_nothing_and_check_mode_predicts_nothing(
    deployed: LabDeployment,
) -> None:
    second = deployed.playbook(SITE)
    assert second.returncode == 0, _recap(second)
    assert {h: s["changed"] for h, s in second.stats().items()} == dict.fromkeys(
        ADDRESSES, 0
    ), _recap(second)
    check = deployed.playbook(SITE, "--check", "--diff")
    assert check.returncode == 0, _recap(check)
    assert {h: s["changed"] for h, s in check.stats().items()} == dict.fromkeys(
        ADDRESSES, 0
    ), _recap(check)


def test_pipelines_run_under_airflows_scheduler(deployed: LabDeployment) -> None:
    lab, client = deployed.lab, deployed.client()
    env = {"FEATURES_N_USERS": "300", "FEATURES_N_TRANSACTIONS": "4000", "FEATURES_DAYS": "30"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        seed_source_data(lab, log)
    # Each DAG is unpaused and the scheduler creates its run for the latest schedule point.
    started = time.monotonic()
    client.run_scheduled("run_dbt_feast_models", log=log)
    log(f"features DAG: {time.monotonic() - started:.0f}s")
    assert champion_version(lab, FRAUD_MODEL) is None

    started = time.monotonic()
    run_id, states = client.run_scheduled("train_fraud_detection_xgboost", log=log)
    log(f"fraud training DAG: {time.monotonic() - started:.0f}s")
    champion = champion_version(lab, FRAUD_MODEL)
    assert champion is not None
    decision = client.xcom("train_fraud_detection_xgboost", run_id, "evaluate_and_promote")
    assert decision["promoted"] is True, decision
    # The DAG itself reloaded the API on server 3 (not the service's own retry loop).
    reload = client.xcom("train_fraud_detection_xgboost", run_id, "reload_service")
    assert str(champion) in str(reload), reload
    ready = wait_until_serving(lab, FRAUD, champion, timeout_s=60)
    assert ready["detail"]["model_source"] == "registry"

    # Shadow promotion on server 2: its first task asks the API on server 3 for the shadow log
    # (GET /admin/shadow-log over the Airflow connection, shadow_log_pull_days from the airflow
    # role); no challenger is in shadow yet, so there is nothing to copy and nothing to promote.
    shadow_dag = f"promote_{FRAUD_MODEL}_challenger"
    run_id, states = client.run_scheduled(shadow_dag, log=log)
    copied = client.xcom(shadow_dag, run_id, "copy_shadow_log")
    assert "copied nothing new" in str(copied), copied
    shadow = client.xcom(shadow_dag, run_id, "promote_challenger")
    assert shadow["verdict"] == "none" and shadow["promoted"] is False, shadow
    assert champion_version(lab, FRAUD_MODEL) == champion

    # The drift check is scheduled on the predictions asset: once unpaused, the batch run's
    # publish (an asset event naming its day) starts it, and it checks that day.
    drift_dag = "check_fraud_model_drift"
    client.unpause(drift_dag)  # Airflow queues asset-triggered runs for unpaused DAGs only
    before = set(client.run_ids(drift_dag))
    run_id, _ = client.run_scheduled("score_daily_transactions_fraud", log=log)
    published = client.xcom("score_daily_transactions_fraud", run_id, "publish")
    assert published["rows"] > 0, published
    drift_run = eventually(
        lambda: next((r for r in client.run_ids(drift_dag) if r not in before), None),
        timeout_s=300,
        what="drift run started by the predictions asset event",
    )
    assert drift_run.startswith("asset_triggered__"), drift_run
    states = client.wait(drift_dag, drift_run, log=log)
    assert states["check_drift"] == "success", states
    # The drift gauges reach Prometheus on server 3 through server 2's node_exporter textfile.
    promql = urllib.parse.quote('mlops_prediction_drift_psi{server="server2"}')
    query = f"{lab.prometheus_url}/api/v1/query?query={promql}"
    series = eventually(
        lambda: get_json(query)[1].get("data", {}).get("result"),
        timeout_s=60,
        what="drift gauge scraped from server 2",
    )
    assert series[0]["metric"]["model"] == FRAUD_MODEL, series


def test_a_broken_release_is_rolled_back(deployed: LabDeployment, tmp_path: Path) -> None:
    lab = deployed.lab
    serving = get_json(f"{lab.api_url(FRAUD)}/health/ready")[1]["detail"]["model_version"]
    broken = tmp_path / "broken.pex"
    broken.write_text("this is not a PEX\n")
    result = deployed.playbook(
        DEPLOY_SERVICE,
        model_service_name=FRAUD,
        model_service_pex=str(broken),
        model_service_port=8001,
        model_service_registered_model=FRAUD_MODEL,
        model_service_ready_retries=5,
        model_service_ready_delay=1,
        model_service_python=sys.executable,
    )
    assert result.returncode != 0
    assert "rolled back" in result.stdout, _recap(result)
    status, body = get_json(f"{lab.api_url(FRAUD)}/health/ready")
    assert status == 200 and body["detail"]["model_version"] == serving


def _firing(lab: Lab, alertname: str, **labels: str) -> list[dict]:
    alerts = get_json(f"{lab.alertmanager_url}/api/v2/alerts")[1].get("items", [])
    return [
        a for a in alerts
        if a["labels"].get("alertname") == alertname
        and all(a["labels"].get(k) == v for k, v in labels.items())
        and a["status"]["state"] == "active"
    ]  # fmt: skip


def test_outages_raise_alerts_and_server3_keeps_serving(deployed: LabDeployment) -> None:
    lab = deployed.lab
    known = deployed.score(1)
    assert known[0] == 200 and known[1]["degraded"] is False, known
    # Nothing of what this test provokes fires yet: what it sees later is caused by the outage.
    assert not _firing(lab, "MlopsScrapeTargetDown") and not _firing(lab, "MlopsComponentDown")
    lab.stop("server3", CHURN)
    for name in SERVER2_PROCESSES:
        lab.stop("server2", name)
    log("stopped the churn API and all of server 2")
    try:
        # Server 3 keeps answering from its loaded model, with features missing: degraded.
        status, body = deployed.score(1)
        assert status == 200 and body["degraded"] is True, body
        # A restart while the registry is unreachable serves the model from the local cache.
        lab.stop("server3", FRAUD)
        lab.start("server3", FRAUD)
        ready = eventually(
            lambda: (r := get_json(f"{lab.api_url(FRAUD)}/health/ready"))[0] == 200 and r[1],
            timeout_s=120,
            what="fraud API ready from its cache",
        )
        assert ready["detail"]["model_source"] == "cache", ready
        eventually(
            lambda: _firing(lab, "MlopsScrapeTargetDown", job=f"mlops-{CHURN}"),
            timeout_s=240,
            what="Alertmanager receives the churn API's scrape-down alert",
        )
        for component in ("airflow", "mlflow", "redis"):
            eventually(
                lambda c=component: _firing(lab, "MlopsComponentDown", component=c),
                timeout_s=180,
                what=f"Alertmanager receives {component} down on server 2",
            )
    finally:
        for name in SERVER2_PROCESSES:
            lab.start("server2", name)
        lab.start("server3", CHURN)
    log("started server 2 and the churn API again")
    eventually(
        lambda: get_json(f"{lab.airflow_url}/api/v2/monitor/health")[1]
        .get("scheduler", {})
        .get("status")
        == "healthy",
        timeout_s=180,
        what="Airflow healthy again",
    )
    eventually(
        lambda: get_json(f"{lab.mlflow_url}/health")[0] == 200,
        timeout_s=180,
        what="MLflow answers again",
    )
    eventually(
        lambda: deployed.score(1)[1].get("degraded") is False,
        timeout_s=60,
        what="fraud API reads online features again",
    )
    # Probes succeed again: Prometheus sees every target up, nothing of server 2 firing.
    eventually(
        lambda: all(
            t["health"] == "up"
            for t in get_json(f"{lab.prometheus_url}/api/v1/targets")[1]["data"]["activeTargets"]
        ),
        timeout_s=120,
        what="every scrape target up again",
    )
