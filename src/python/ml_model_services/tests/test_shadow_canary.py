"""Shadow scoring and canary decisions against a real service, Redis and MLflow server.

The challenger is version 1's graph with its probabilities turned around (``p -> 1 - p``,
``serving-fixture register-inverted``), registered with alias ``challenger`` and tag
``shadow_state=shadow`` as training's shadow policy leaves it: every decision the champion
approves with a low score, the challenger sees with a high one, so decisions flip in known
places. Checked: the responses (who decided, with which version), the shadow log (one pair per
request, the challenger's score ``1 - champion``), the ``mlops_shadow_*`` and canary metrics,
that the challenger leaves when training rejects it, and the whole loop: a new challenger
enters shadow, the service shadows it on labelled transactions, ``promote-challenger`` reads
that shadow log with the labels and promotes it, with the evidence in the version's tags (what
the retraining report shows, ``ml_reporting_monitoring/tests/test_retraining_report.py``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ml_model_services.common_service_libs.shadow_scoring import canary_bucket
from ml_model_services.tests.support import (
    API_KEY,
    FIXTURE_PEX,
    Proc,
    metric_value,
    run_pex,
    start_service,
)
from mlops_common.contracts.features import FRAUD
from mlops_common.shadow_log import day_file, logged_days, read_shadow_log

MODULE = "ml_model_services.fraud_detection_api.main"
SCORE, BATCH = "/v1/fraud/score", "/v1/fraud/score/batch"
HEADERS = {"x-api-key": API_KEY}
CANARY_SHARE = 0.3
NAME = FRAUD.registered_model_name
MONITORING_PEX = Path("src.python.ml_reporting_monitoring/monitoring-cli.pex")


@pytest.fixture(scope="module")
def challenger(mlflow_server: Proc, work: Path, fraud_registry: dict) -> str:
    out = run_pex(
        FIXTURE_PEX,
        ["register-inverted", "fraud", "--tracking-uri", mlflow_server.url, "--from-version", "1",
         "--alias", "challenger", "--tag", "shadow_state=shadow"],
        cwd=work,
    )  # fmt: skip
    return str(json.loads(out)["version"])


@pytest.fixture(scope="module")
def service(
    work: Path, golden: dict, mlflow_server: Proc, challenger: str
) -> Iterator[tuple[Proc, Path]]:
    shadow_root = work / "shadow"
    env = {
        "MLOPS_PROFILE": "servers",
        "MLOPS_HOME": str(work / "shadow_home"),
        "MLOPS_MLFLOW_TRACKING_URI": mlflow_server.url,
        "MLOPS_REDIS_URL": golden["redis_url"],
        "MLOPS_SERVICE_FEAST_PROJECT": golden["project"],
        "MLOPS_SERVICE_MODEL_CACHE_DIR": str(work / "shadow_cache"),
        "MLOPS_SERVICE_SHADOW_SHARE": "1",
        "MLOPS_SERVICE_CANARY_SHARE": str(CANARY_SHARE),
        "MLOPS_SHADOW_ROOT": str(shadow_root),
    }
    proc = start_service(MODULE, work, env, name="fraud_shadow")
    yield proc, shadow_root
    proc.stop()


def _requests(golden: dict) -> list[dict]:
    return [
        {**r, "transaction_id": f"t-{i}"} for i, r in enumerate(golden["requests"]["fraud"][:80])
    ]


def _wait_for_log(root: Path, n: int, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    records: list = []
    while time.monotonic() < deadline:
        days = logged_days(root, NAME)
        if days:
            records = list(read_shadow_log(root, NAME, days[0], days[-1]))
            if len(records) >= n:
                return records
        time.sleep(0.2)
    return records


def test_shadow_pairs_canary_routing_and_metrics(
    service: tuple[Proc, Path], golden: dict, challenger: str
) -> None:
    proc, root = service
    ready = httpx.get(f"{proc.url}/health/ready", timeout=5).json()["detail"]
    assert ready["model_version"] == "1" and ready["challenger_version"] == challenger
    requests = _requests(golden)
    canary = {r["user_id"] for r in requests if canary_bucket(r["user_id"]) < CANARY_SHARE}
    assert 0 < len(canary) < len(requests), "the sample must hold canary and champion entities"

    responses = [
        httpx.post(f"{proc.url}{SCORE}", json=r, headers=HEADERS, timeout=10).json()
        for r in requests[:40]
    ]
    batch = httpx.post(
        f"{proc.url}{BATCH}", json={"items": requests[40:]}, headers=HEADERS, timeout=10
    )
    assert batch.status_code == 200
    responses += batch.json()["predictions"]
    for request, response in zip(requests, responses, strict=True):
        in_canary = request["user_id"] in canary
        assert response["decided_by"] == ("challenger" if in_canary else "champion")
        assert response["model_version"] == (challenger if in_canary else "1")

    records = {r.event_id: r for r in _wait_for_log(root, len(requests))}
    assert len(records) == len(requests), "one shadow pair per request at share 1"
    flips = 0
    for request, response in zip(requests, responses, strict=True):
        record = records[request["transaction_id"]]
        assert record.entity_id == request["user_id"] and record.error is None
        assert record.champion_version == "1" and record.challenger_version == challenger
        assert record.challenger_score is not None
        assert math.isclose(record.challenger_score, 1 - record.champion_score, abs_tol=1e-6)
        served = record.challenger_score if record.decided_by == "challenger" else None
        assert record.decided_by == response["decided_by"]
        assert response["probability"] == (served if served is not None else record.champion_score)
        assert response["label"] == (
            record.challenger_label if served is not None else record.champion_label
        )
        flips += record.champion_label != record.challenger_label
    assert flips > 0, "the inverted challenger must change some decisions"

    # What the promotion DAG on another host copies: the day file as written, complete lines.
    day = logged_days(root, NAME)[-1]
    url = f"{proc.url}/admin/shadow-log"
    copy = httpx.get(url, params={"day": day.isoformat()}, headers=HEADERS, timeout=10)
    assert copy.headers["content-type"].startswith("application/x-ndjson")
    assert copy.content == day_file(root, NAME, day).read_bytes()
    none = httpx.get(url, params={"day": "2000-01-01"}, headers=HEADERS, timeout=10)
    assert none.status_code == 404 and none.json()["error"]["code"] == "not_found"
    assert httpx.get(url, params={"day": day.isoformat()}, timeout=10).status_code == 401

    text = httpx.get(f"{proc.url}/metrics", timeout=5).text
    pair = {"champion_version": "1", "challenger_version": challenger}
    assert metric_value(text, "mlops_shadow_predictions_total", **pair) == len(requests)
    assert metric_value(text, "mlops_shadow_decision_changes_total", **pair) == flips
    assert metric_value(text, "mlops_shadow_errors_total") == 0
    errors = [
        line
        for line in text.splitlines()
        if line.startswith("mlops_shadow_errors_total{")
        and f'challenger_version="{challenger}"' in line
    ]  # exported at 0 from the first pair on: rate() and the errors alert have a series
    assert len(errors) == 1 and errors[0].endswith(" 0.0"), errors
    for version, role in (("1", "champion"), (challenger, "challenger")):
        count = metric_value(text, "mlops_shadow_score_count", version=version, role=role)
        assert count == len(requests)
    canary_served = sum(r["user_id"] in canary for r in requests)
    assert metric_value(text, "mlops_canary_decisions_total", version=challenger) == canary_served
    assert metric_value(text, "mlops_model_info", alias="challenger", version=challenger) == 1
    assert metric_value(text, "mlops_model_info", alias="champion", version="1") == 1


def test_a_rejected_challenger_leaves_on_reload(
    service: tuple[Proc, Path], golden: dict, mlflow_server: Proc, challenger: str
) -> None:
    proc, root = service
    tagged = httpx.post(
        f"{mlflow_server.url}/api/2.0/mlflow/model-versions/set-tag",
        json={"name": NAME, "version": challenger, "key": "shadow_state", "value": "rejected"},
        timeout=10,
    )
    tagged.raise_for_status()
    reload = httpx.post(f"{proc.url}/admin/reload", headers=HEADERS, timeout=30).json()
    assert reload["challenger"]["version"] is None
    assert "rejected" in reload["challenger"]["reason"]
    days = logged_days(root, NAME)
    before = len(list(read_shadow_log(root, NAME, days[0], days[-1])))
    request = _requests(golden)[0]
    response = httpx.post(f"{proc.url}{SCORE}", json=request, headers=HEADERS, timeout=10).json()
    assert response["decided_by"] == "champion" and response["model_version"] == "1"
    time.sleep(0.5)  # the worker wakes every 50 ms: nothing may arrive
    days = logged_days(root, NAME)
    assert len(list(read_shadow_log(root, NAME, days[0], days[-1]))) == before
    text = httpx.get(f"{proc.url}/metrics", timeout=5).text
    assert metric_value(text, "mlops_model_info", alias="challenger") == 0
    info = httpx.get(f"{proc.url}/v1/fraud/model", headers=HEADERS, timeout=5).json()
    assert info["shadow"]["challenger_version"] is None and not info["shadow"]["active"]


def test_new_challenger_shadow_traffic_evidence_promotion(
    service: tuple[Proc, Path], mlflow_server: Proc, fraud_registry: dict, work: Path
) -> None:
    proc, root = service
    home = str(fraud_registry["home"])
    entered = json.loads(
        run_pex(
            FIXTURE_PEX,
            ["enter-shadow", "fraud", "--tracking-uri", mlflow_server.url, "--home", home,
             "--from-version", "1", "--requests", "200"],
            cwd=work,
        )
    )  # fmt: skip
    version, requests = entered["version"], entered["requests"]
    reload = httpx.post(f"{proc.url}/admin/reload", headers=HEADERS, timeout=30).json()
    assert reload["challenger"]["version"] == version

    for start in range(0, len(requests), 100):
        batch = httpx.post(
            f"{proc.url}{BATCH}",
            json={"items": requests[start : start + 100]},
            headers=HEADERS,
            timeout=30,
        )
        assert batch.status_code == 200, batch.text
    deadline = time.monotonic() + 30
    pairs: list = []
    while len(pairs) < len(requests) and time.monotonic() < deadline:
        days = logged_days(root, NAME)
        pairs = list(read_shadow_log(root, NAME, days[0], days[-1], challenger_version=version))
        time.sleep(0.2)
    assert len(pairs) == len(requests)

    env = {
        "MLOPS_SHADOW_ROOT": str(root),
        "TRAINING_SHADOW_MIN_REQUESTS": str(len(requests)),
        "TRAINING_SHADOW_MIN_LABELLED": "100",
    }
    out = run_pex(
        FIXTURE_PEX,
        ["promote-challenger", "fraud", "--tracking-uri", mlflow_server.url, "--home", home],
        cwd=work,
        env=env,
    )
    result = json.loads(out)
    decision, tags = result["decision"], result["tags"]
    assert decision["verdict"] == "promote" and decision["promoted"], decision["reason"]
    evidence = decision["evidence"]
    assert evidence["requests"] == len(requests) and evidence["labelled"] == len(requests)
    assert evidence["agreement"] == 1.0 and 0 < evidence["positives"] < len(requests)
    assert tags["shadow_state"] == "promoted" and tags["promotion_evidence"] == "shadow"
    assert tags["promotion_shadow_verdict"] == "promote"
    assert tags["promotion_shadow_requests"] == str(len(requests))
    assert "shadow evidence" in tags["promotion_reason"]

    # The retraining report shows why, from those tags (the monitoring CLI, as the DAG runs it).
    report = run_pex(
        MONITORING_PEX,
        ["retraining-report", "--tracking-uri", mlflow_server.url, "--days", "1",
         "--models", NAME, "--output-dir", str(work / "reports")],
        cwd=work,
        env={"MLOPS_HOME": str(work / "report_home")},
    )  # fmt: skip
    html = Path(json.loads(report)["report"]).read_text()
    assert "Shadow evidence" in html and "promoted (vs v1)" in html
    assert f"requests &gt;= {len(requests)}" in html or f"requests >= {len(requests)}" in html

    # The service follows: the new champion serves, the challenger slot is empty again.
    reload = httpx.post(f"{proc.url}/admin/reload", headers=HEADERS, timeout=30).json()
    assert reload["model_version"] == version and reload["challenger"]["version"] is None
