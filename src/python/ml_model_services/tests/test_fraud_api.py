"""The fraud API end to end: real uvicorn, Redis, MLflow registry, Feast-written features.

One MLflow server and one golden feature set per run (session fixtures in conftest); the
services under test are started as processes exactly as the PEX runs them.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ml_model_services.common_service_libs.online_features import make_reader
from ml_model_services.tests.conftest import native_scores
from ml_model_services.tests.openapi_fuzz import fuzz_service
from ml_model_services.tests.support import (
    API_KEY,
    Proc,
    close_value,
    closed_port,
    metric_value,
    set_alias,
    start_service,
)
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.contracts.fraud_on_demand import on_demand_row
from mlops_common.contracts.transaction_windows import WINDOW_FEATURES, WINDOW_VIEW
from mlops_common.label_engine import bundled_rules_path, load_rules
from mlops_common.label_engine.context import read_context

MODULE = "ml_model_services.fraud_detection_api.main"
SCORE = "/v1/fraud/score"
BATCH = "/v1/fraud/score/batch"
MODEL = "/v1/fraud/model"
HEADERS = {"x-api-key": API_KEY}
SECOND_KEY = "file-key-2"
FUZZ_EXAMPLES = 60  # per operation and mode: ~1,000 requests, well under a minute


def _env(work: Path, golden: dict, mlflow_url: str, cache: Path, **extra: str) -> dict[str, str]:
    keys = work / "api_keys.txt"
    keys.write_text(f"# rotated keys\n{SECOND_KEY}\n")
    return {
        "MLOPS_PROFILE": "servers",
        "MLOPS_HOME": str(work / "service_home"),
        "MLOPS_MLFLOW_TRACKING_URI": mlflow_url,
        "MLOPS_REDIS_URL": golden["redis_url"],
        "MLOPS_SERVICE_FEAST_PROJECT": golden["project"],
        "MLOPS_SERVICE_MODEL_CACHE_DIR": str(cache),
        "MLOPS_SERVICE_API_KEYS_FILE": str(keys),
        **extra,
    }


@pytest.fixture(scope="module")
def service(work: Path, golden: dict, mlflow_server: Proc, fraud_registry: dict) -> Iterator[Proc]:
    proc = start_service(
        MODULE, work, _env(work, golden, mlflow_server.url, work / "cache"), name="fraud"
    )
    yield proc
    proc.stop()


def _expected(golden: dict, i: int) -> tuple[dict, list[str]]:
    """The model inputs the service must use for golden request ``i`` and what is missing."""
    request = golden["requests"]["fraud"][i]
    sdk = golden["redis"]["fraud"]
    defaults = FRAUD.defaults()
    row, missing = {}, []
    stored = {**golden["windows_now"][i]}  # window features: from recent payments, never missing
    for spec in FRAUD.features:
        if spec.source == "request":
            row[spec.name] = request[spec.name]
        elif spec.source == WINDOW_VIEW:
            row[spec.name] = stored[spec.name]
        elif spec.source == "on_demand":
            continue
        elif sdk[spec.name][i] is None:
            row[spec.name] = defaults[spec.name]
            stored[spec.name] = None
            missing.append(spec.name)
        else:
            row[spec.name] = stored[spec.name] = sdk[spec.name][i]
    row.update(on_demand_row(request, stored))
    return row, missing


# --- the reader equals the Feast SDK --------------------------------------------------------


@pytest.mark.parametrize("store", ["sqlite", "redis"])
@pytest.mark.parametrize("contract", [FRAUD, CHURN], ids=lambda c: c.use_case)
def test_online_reader_returns_what_the_feast_sdk_returns(
    golden: dict, store: str, contract
) -> None:
    """Stored features equal Feast's online read; window features (recent payments) equal a
    brute-force computation over ``[now - w, now)``."""
    key = "fraud" if contract is FRAUD else "churn"
    requests = golden["requests"][key]
    reader = make_reader(
        contract,
        store,
        golden["project"],
        redis_url=golden["redis_url"],
        sqlite_path=Path(golden["sqlite_path"]),
    )

    async def read():
        try:
            return await reader.read(
                [r["user_id"] for r in requests], [golden["now"]] * len(requests)
            )
        finally:
            await reader.close()

    rows = asyncio.run(read())
    sdk = golden[store][key]
    names = [f.name for f in contract.features if f.source != "request"]
    compared = nones = 0
    for i, (request, row) in enumerate(zip(requests, rows, strict=True)):
        full = {**row, **(on_demand_row(request, row) if contract is FRAUD else {})}
        for name in names:
            if name == "amount_to_avg_7d_ratio":
                continue  # Feast's online row has the stale average; the skew test covers it
            expected = golden["windows_now"][i][name] if name in WINDOW_FEATURES else sdk[name][i]
            assert close_value(full[name], expected), (store, name, i, full[name], expected)
            compared += 1
            nones += full[name] is None
    # The golden data really exercises missing entities/features and every feature.
    skipped = len(requests) if contract is FRAUD else 0
    assert compared == len(requests) * len(names) - skipped and nones >= 3


# --- scoring ------------------------------------------------------------------------------


def test_scores_equal_the_offline_model(
    service: Proc, golden: dict, mlflow_server: Proc, work: Path
) -> None:
    requests = golden["requests"]["fraud"]
    body = {"items": [{**r, "transaction_id": f"t-{i}"} for i, r in enumerate(requests)]}
    response = httpx.post(f"{service.url}{BATCH}", json=body, headers=HEADERS, timeout=30)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["model"] == {
        "name": FRAUD.registered_model_name,
        "version": "1",
        "alias": "champion",
    }
    predictions = payload["predictions"]
    assert [p["transaction_id"] for p in predictions] == [f"t-{i}" for i in range(len(requests))]

    for i, prediction in enumerate(predictions):
        expected, missing = _expected(golden, i)
        assert list(prediction["features"]) == FRAUD.feature_names or set(
            prediction["features"]
        ) == set(FRAUD.feature_names)
        for name, value in expected.items():
            assert close_value(prediction["features"][name], value), (i, name)
        assert prediction["missing_features"] == missing
        assert prediction["degraded"] is bool(missing)
    assert any(p["degraded"] for p in predictions) and not all(p["degraded"] for p in predictions)

    offline = native_scores(mlflow_server, work, "fraud", "1", [p["features"] for p in predictions])
    # MLflow users load the champion alias with pyfunc and get the served graph's very scores
    features = [p["features"] for p in predictions]
    pyfunc = native_scores(mlflow_server, work, "fraud", "1", features, engine="pyfunc")
    assert pyfunc == pytest.approx([p["probability"] for p in predictions], abs=1e-7)
    rules = load_rules(bundled_rules_path(FRAUD.use_case))
    sdk = golden["redis"]["fraud"]
    for i, (prediction, request, reference) in enumerate(
        zip(predictions, requests, offline, strict=True)
    ):
        assert abs(prediction["probability"] - reference) <= 1e-5
        # the read as the Feast SDK sees it: same degraded/missing/unknown verdict
        context = read_context(FRAUD, {f.name: sdk[f.name][i] for f in FRAUD.stored_features})
        assert prediction["entity_known"] is context["entity_known"]
        decision = rules.decide(
            {**prediction["features"], **request, **context, "score": prediction["probability"]}
        )
        assert prediction["label"] == decision.label
        assert prediction["fired_rules"] == list(decision.fired)
        assert prediction["rules_version"] == rules.version
    assert len({round(p["probability"], 6) for p in predictions}) > 5
    # golden users all have a profile (some lack aggregates); only the last one is unknown
    assert [p["entity_known"] for p in predictions] == [True] * (len(predictions) - 1) + [False]

    # The single endpoint gives the same answer as the batch one.
    single = httpx.post(f"{service.url}{SCORE}", json=requests[2], headers=HEADERS, timeout=10)
    assert single.status_code == 200
    assert single.json()["probability"] == predictions[2]["probability"]
    assert single.json()["features"] == predictions[2]["features"]
    assert single.headers["x-request-id"]

    # Concurrent single requests are scored in shared batches (score_coalescer); each still
    # gets its own row's answer, equal to the batch endpoint's.
    async def all_at_once() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(requests))
        async with httpx.AsyncClient(base_url=service.url, timeout=30, limits=limits) as client:
            return await asyncio.gather(
                *(client.post(SCORE, json=r, headers=HEADERS) for r in requests)
            )

    before = httpx.get(f"{service.url}{MODEL}", headers=HEADERS, timeout=10).json()["coalescing"]
    for response, prediction in zip(asyncio.run(all_at_once()), predictions, strict=True):
        assert response.status_code == 200, response.text
        got = response.json()
        assert (got["probability"], got["label"]) == (
            prediction["probability"],
            prediction["label"],
        )
        assert got["features"] == prediction["features"]
    after = httpx.get(f"{service.url}{MODEL}", headers=HEADERS, timeout=10).json()["coalescing"]
    assert after["max_batch"] == 64 and after["batches"] > before["batches"]


# --- train/serve skew: what the API uses = the offline point-in-time features -------------


def _same_number_or_text(served: object, offline: object) -> bool:
    """Feast's offline frame holds every number as float64; the API keeps ints as ints."""
    if isinstance(offline, int | float) and isinstance(served, int | float):
        return math.isclose(float(served), float(offline), rel_tol=1e-9, abs_tol=1e-9)
    return served == offline


@pytest.mark.parametrize("store", ["redis", "sqlite"])
def test_served_features_equal_offline_point_in_time_features(
    store: str, service: Proc, golden: dict, mlflow_server: Proc, work: Path
) -> None:
    """Sampled payments asked at their own time: every feature the API uses equals what the
    training set's point-in-time join gives the same (user, time), value by value."""
    cases = golden["skew_cases"]
    proc = service
    if store == "sqlite":
        env = _env(
            work,
            golden,
            mlflow_server.url,
            work / "cache_skew",
            MLOPS_SERVICE_ONLINE_STORE="sqlite",
            MLOPS_SERVICE_SQLITE_PATH=golden["sqlite_path"],
        )
        proc = start_service(MODULE, work, env, name="fraud_sqlite")
    try:
        body = {"items": [case["request"] for case in cases]}
        response = httpx.post(f"{proc.url}{BATCH}", json=body, headers=HEADERS, timeout=30)
    finally:
        if proc is not service:
            proc.stop()
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    skewed = [
        (case["request"]["user_id"], case["request"]["event_timestamp"], name, served, value)
        for case, prediction in zip(cases, predictions, strict=True)
        for name, value in case["offline"].items()
        if not _same_number_or_text(served := prediction["features"][name], value)
    ]
    assert not skewed, f"{len(skewed)} skewed values, e.g. {skewed[:5]}"
    assert all(not p["degraded"] for p in predictions)
    # The sample holds real histories: some windows are empty, some are not.
    counts = [case["offline"]["txn_count_24h"] for case in cases]
    assert len(cases) >= 30 and min(counts) == 0 and max(counts) >= 2
    assert [p["decision_time"] for p in predictions] == [
        datetime.fromisoformat(c["request"]["event_timestamp"]).isoformat() for c in cases
    ]


def test_windows_end_at_the_request_not_at_the_last_payment(service: Proc, golden: dict) -> None:
    """A card holder whose last payment was two days ago has nothing in the last hour/day."""
    user = golden["quiet_users"][0]
    request = {
        "user_id": user,
        "amount": 20.0,
        "merchant_category": "grocery",
        "country": "DE",
        "hour_of_day": 12,
    }
    response = httpx.post(f"{service.url}{SCORE}", json=request, headers=HEADERS, timeout=10)
    assert response.status_code == 200, response.text
    features = response.json()["features"]
    assert features["txn_count_1h"] == 0 and features["txn_count_24h"] == 0
    assert features["txn_amount_sum_24h"] == 0.0
    assert features["txn_amount_avg_7d"] > 0  # the payment two days ago is in the 7-day window
    decided = datetime.fromisoformat(response.json()["decision_time"])
    assert abs((datetime.now(UTC) - decided).total_seconds()) < 60


def test_a_decision_time_outside_the_served_history_is_refused(service: Proc) -> None:
    request = {
        "user_id": 1,
        "amount": 20.0,
        "merchant_category": "grocery",
        "country": "DE",
        "hour_of_day": 12,
        "event_timestamp": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    response = httpx.post(f"{service.url}{SCORE}", json=request, headers=HEADERS, timeout=10)
    assert response.status_code == 422
    assert "in the future" in response.json()["error"]["reason"]
    stale = {**request, "event_timestamp": (datetime.now(UTC) - timedelta(days=2)).isoformat()}
    response = httpx.post(f"{service.url}{SCORE}", json=stale, headers=HEADERS, timeout=10)
    assert response.status_code == 422 and "more than 1 day old" in response.text
    naive = {**request, "event_timestamp": "2026-01-01T10:00:00"}
    response = httpx.post(f"{service.url}{SCORE}", json=naive, headers=HEADERS, timeout=10)
    assert response.status_code == 422 and "event_timestamp" in response.json()["error"]["reason"]


def test_label_engine_blocks_and_reviews(service: Proc) -> None:
    """A large foreign payment is reviewed whatever the score (rule large_foreign_amount)."""
    request = {
        "user_id": 1,
        "amount": 9000.0,
        "merchant_category": "travel",
        "country": "BR",
        "hour_of_day": 4,
    }
    body = httpx.post(f"{service.url}{SCORE}", json=request, headers=HEADERS, timeout=10).json()
    assert body["features"]["is_foreign"] == 1
    assert "large_foreign_amount" in body["fired_rules"]
    assert body["label"] in ("review", "block")


def test_unknown_card_holder_large_payment_is_reviewed(service: Proc, golden: dict) -> None:
    """Fail safe: no profile in the store means the score is the defaults', not the person's.

    The same 129.50 electronics payment in Brazil: an unknown card holder's goes to review
    (rules unknown_card_holder + degraded_read), a small one is still decided by the model,
    and a known German card holder's is decided by the model and the usual rules.
    """
    unknown_id = golden["requests"]["fraud"][-1]["user_id"]
    payment = {"amount": 129.50, "merchant_category": "electronics", "country": "BR"}
    payment["hour_of_day"] = 14

    def score(user_id: int, amount: float) -> dict:
        body = {**payment, "user_id": user_id, "amount": amount}
        response = httpx.post(f"{service.url}{SCORE}", json=body, headers=HEADERS, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    rules = load_rules(bundled_rules_path(FRAUD.use_case))
    big = score(unknown_id, 129.50)
    assert big["entity_known"] is False and big["degraded"] is True
    assert big["features"]["is_foreign"] == 0  # no home country: the foreign check is blind
    assert {"unknown_card_holder", "degraded_read"} <= set(big["fired_rules"])
    assert big["label"] in ("review", "block")

    small = score(unknown_id, 12.0)
    assert small["entity_known"] is False
    assert not {"unknown_card_holder", "degraded_read"} & set(small["fired_rules"])
    by_score = rules.decide({**small["features"], "score": small["probability"]})  # no context
    assert (small["label"], small["fired_rules"]) == (by_score.label, list(by_score.fired))

    known = score(1, 129.50)  # golden user 1: profile (home DE) and aggregates present
    assert known["entity_known"] is True and known["degraded"] is False
    assert known["features"]["is_foreign"] == 1
    assert not {"unknown_card_holder", "degraded_read"} & set(known["fired_rules"])


def test_model_info_probes_metrics_and_docs(service: Proc) -> None:
    info = httpx.get(f"{service.url}/v1/fraud/model", headers=HEADERS, timeout=10).json()
    assert info["model"]["version"] == "1" and info["model"]["source"] == "registry"
    assert info["rules"]["name"] == "fraud_detection"
    assert info["features"]["online_store"] == "redis"
    ready = httpx.get(f"{service.url}/health/ready", timeout=5)
    assert ready.status_code == 200 and ready.json()["detail"]["feature_store"] == "ok"
    assert httpx.get(f"{service.url}/health/live", timeout=5).json() == {"status": "alive"}
    openapi = httpx.get(f"{service.url}/openapi.json", timeout=5).json()
    assert {SCORE, BATCH, "/admin/reload", "/health/ready"} <= set(openapi["paths"])
    prediction_schema = openapi["components"]["schemas"]["FraudPrediction"]["properties"]
    assert "no profile" in prediction_schema["entity_known"]["description"]
    # every error status documents the body the service really sends: one ErrorResponse
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    batch = openapi["paths"][BATCH]["post"]["responses"]
    for status in ("401", "413", "422", "503"):
        assert batch[status]["content"]["application/json"]["schema"] == error_ref, status
    assert "more than 256 items" in batch["413"]["description"].lower()
    assert "HTTPValidationError" not in json.dumps(openapi)
    assert httpx.get(f"{service.url}/docs", timeout=5).status_code == 200
    text = httpx.get(f"{service.url}/metrics", timeout=5).text
    assert (
        metric_value(text, "mlops_model_info", version="1", model=FRAUD.registered_model_name) == 1
    )
    assert metric_value(text, "mlops_prediction_score_count") >= 1
    assert metric_value(text, "mlops_http_requests_total", route=BATCH, status="200") >= 1
    assert metric_value(text, "mlops_prediction_labels_total") >= 1
    assert metric_value(text, "mlops_feature_fetch_fallbacks_total", reason="entity_not_found") >= 1
    # one JSON access-log line per request, with a request id and latency_ms
    lines = [json.loads(x) for x in service.log().splitlines() if x.startswith("{")]
    access = [x for x in lines if x.get("logger") == "access" and x["route"] == SCORE]
    assert access and all(isinstance(x["latency_ms"], float) and x["request_id"] for x in access)
    assert all("model_version" in x for x in access if x["status"] == 200)


# --- auth and bad input -------------------------------------------------------------------


def test_api_keys(service: Proc) -> None:
    good = {
        "user_id": 1,
        "amount": 5.0,
        "merchant_category": "grocery",
        "country": "DE",
        "hour_of_day": 9,
    }
    url = f"{service.url}{SCORE}"
    missing = httpx.post(url, json=good, timeout=5)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
    wrong = httpx.post(url, json=good, headers={"x-api-key": API_KEY + "x"}, timeout=5)
    assert wrong.status_code == 401
    assert (
        httpx.post(url, json=good, headers={"x-api-key": SECOND_KEY}, timeout=5).status_code == 200
    )
    assert httpx.post(f"{service.url}/admin/reload", timeout=5).status_code == 401
    assert httpx.get(f"{service.url}/v1/fraud/model", timeout=5).status_code == 401


BAD_BODIES = [
    (b"{not json", 422),
    (
        b'{"user_id": NaN, "amount": 1, "merchant_category": "a", "country": "DE", "hour_of_day": 1}',
        422,
    ),
    (
        b'{"user_id": 1, "amount": Infinity, "merchant_category": "a", "country": "DE", "hour_of_day": 1}',
        422,
    ),
    (
        b'{"user_id": 1, "amount": 1e999, "merchant_category": "a", "country": "DE", "hour_of_day": 1}',
        422,
    ),
    (
        b'{"user_id": "1", "amount": 1, "merchant_category": "a", "country": "DE", "hour_of_day": 1}',
        422,
    ),
    (
        b'{"user_id": true, "amount": 1, "merchant_category": "a", "country": "DE", "hour_of_day": 1}',
        422,
    ),
    (
        b'{"user_id": 1, "amount": -1, "merchant_category": "a", "country": "DE", "hour_of_day": 1}',
        422,
    ),
    (
        b'{"user_id": 1, "amount": 1, "merchant_category": "a", "country": "DE", "hour_of_day": 24}',
        422,
    ),
    (
        b'{"user_id": 1, "amount": 1, "merchant_category": "a", "country": "Germany", "hour_of_day": 1}',
        422,
    ),
    (
        b'{"user_id": 1, "amount": 1, "merchant_category": "a", "country": "DE", "hour_of_day": 1, "x": 1}',
        422,
    ),
    (b'{"user_id": 1}', 422),
    (b"[]", 422),
    (b"", 422),
]


@pytest.mark.parametrize("raw,status", BAD_BODIES)
def test_bad_input_is_a_clear_4xx(service: Proc, raw: bytes, status: int) -> None:
    response = httpx.post(
        f"{service.url}{SCORE}",
        content=raw,
        headers={**HEADERS, "content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["reason"]
    assert "Traceback" not in response.text


def test_huge_and_oversized_batches(service: Proc) -> None:
    item = {
        "user_id": 1,
        "amount": 1.0,
        "merchant_category": "a",
        "country": "DE",
        "hour_of_day": 1,
    }
    at_limit = httpx.post(
        f"{service.url}{BATCH}", json={"items": [item] * 256}, headers=HEADERS, timeout=30
    )
    assert at_limit.status_code == 200, at_limit.text
    # one batch limit (MLOPS_SERVICE_MAX_BATCH): a 413 whose reason names the limit and the fix
    too_many = httpx.post(
        f"{service.url}{BATCH}", json={"items": [item] * 257}, headers=HEADERS, timeout=10
    )
    assert too_many.status_code == 413, too_many.text
    error = too_many.json()["error"]
    assert error["code"] == "batch_too_large"
    assert "257 items" in error["reason"] and "MLOPS_SERVICE_MAX_BATCH" in error["reason"]
    huge = b'{"items": [' + b",".join([json.dumps(item).encode()] * 40_000) + b"]}"
    assert len(huge) > 1_048_576
    response = httpx.post(
        f"{service.url}{BATCH}",
        content=huge,
        headers={**HEADERS, "content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert httpx.get(f"{service.url}/health/live", timeout=5).status_code == 200


# Bodies no schema-driven generator sends: broken or hostile JSON on the two body routes.
RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[" * 20000 + b"]" * 20000,
    b'{"user_id": 1' + b", " * 1000,
    '{"user_id": "\udcff"}'.encode("utf-8", "surrogatepass"),
    b"\xff\xfe\x00",
]


@pytest.mark.parametrize("path", [SCORE, BATCH])
def test_hostile_raw_bodies_are_a_clear_4xx(service: Proc, path: str) -> None:
    for raw in RAW_BODIES:
        response = httpx.post(
            f"{service.url}{path}",
            content=raw,
            headers={**HEADERS, "content-type": "application/json"},
            timeout=10,
        )
        assert 400 <= response.status_code < 500, (raw[:40], response.text)
        error = response.json()["error"]
        assert error["code"] and error["reason"], raw[:40]


def test_schemathesis_finds_no_5xx_and_no_schema_violation(
    service: Proc, record_property: Callable[[str, object], None]
) -> None:
    report = fuzz_service(service.url, API_KEY, max_examples=FUZZ_EXAMPLES)
    record_property("schemathesis", report.summary())  # in the JUnit report: count and time
    assert {SCORE, BATCH} <= {label.split(" ", 1)[1] for label in report.operations}
    assert report.statuses[200] > 20, report.summary()  # valid requests reached the model
    assert sum(n for s, n in report.statuses.items() if 400 <= s < 500) > 50, report.summary()
    assert report.examples["negative"] > 50, report.summary()
    assert httpx.get(f"{service.url}/health/ready", timeout=5).status_code == 200


# --- failure modes ---------------------------------------------------------------------------


def test_redis_down_answers_degraded_with_defaults(
    work: Path, golden: dict, mlflow_server: Proc, fraud_registry: dict
) -> None:
    env = _env(
        work, golden, mlflow_server.url, work / "cache_redis_down",
        MLOPS_REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
    )  # fmt: skip
    proc = start_service(MODULE, work, env, name="fraud_redis_down")
    try:
        request = golden["requests"]["fraud"][0]
        for _ in range(3):
            response = httpx.post(f"{proc.url}{SCORE}", json=request, headers=HEADERS, timeout=10)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["degraded"] is True
            assert body["missing_features"] == [f.name for f in FRAUD.stored_features]
            defaults = FRAUD.defaults()
            for spec in FRAUD.stored_features:
                assert body["features"][spec.name] == defaults[spec.name]
            assert 0.0 <= body["probability"] <= 1.0
            assert body["entity_known"] is None  # not read: unknown whether it is known
        # fail safe: a large payment scored blind goes to review, whoever sends it
        large = {**request, "amount": 129.50}
        body = httpx.post(f"{proc.url}{SCORE}", json=large, headers=HEADERS, timeout=10).json()
        assert "degraded_read" in body["fired_rules"] and body["label"] in ("review", "block")
        assert "unknown_card_holder" not in body["fired_rules"]
        ready = httpx.get(f"{proc.url}/health/ready", timeout=5)
        assert ready.status_code == 200 and ready.json()["detail"]["feature_store"] == "degraded"
        text = httpx.get(f"{proc.url}/metrics", timeout=5).text
        assert metric_value(text, "mlops_predictions_degraded_total") == 4
        assert metric_value(text, "mlops_feature_fetch_fallbacks_total", reason="unavailable") >= 1
    finally:
        proc.stop()


def test_mlflow_down_starts_from_the_cache(
    service: Proc, work: Path, golden: dict, mlflow_server: Proc
) -> None:
    # `service` filled work/cache from the registry; this one cannot reach any registry.
    dead = f"http://127.0.0.1:{closed_port()}"
    env = _env(work, golden, dead, work / "cache", MLOPS_SERVICE_REGISTRY_TIMEOUT_S="2")
    proc = start_service(MODULE, work, env, name="fraud_mlflow_down")
    try:
        detail = httpx.get(f"{proc.url}/health/ready", timeout=5).json()["detail"]
        assert detail["model_version"] == "1" and detail["model_source"] == "cache"
        request = golden["requests"]["fraud"][1]
        cached = httpx.post(f"{proc.url}{SCORE}", json=request, headers=HEADERS, timeout=10).json()
        live = httpx.post(f"{service.url}{SCORE}", json=request, headers=HEADERS, timeout=10).json()
        assert cached["probability"] == live["probability"]
        failed = httpx.post(f"{proc.url}/admin/reload", headers=HEADERS, timeout=10)
        assert (
            failed.status_code == 503 and failed.json()["error"]["code"] == "registry_unavailable"
        )
        assert (
            httpx.post(f"{proc.url}{SCORE}", json=request, headers=HEADERS, timeout=10).status_code
            == 200
        )
    finally:
        proc.stop()

    # No registry and an empty cache: alive, not ready, scoring says why (503, not a crash).
    env = _env(work, golden, dead, work / "cache_empty", MLOPS_SERVICE_REGISTRY_TIMEOUT_S="2")
    proc = start_service(MODULE, work, env, name="fraud_no_model", ready=False)
    try:
        assert httpx.get(f"{proc.url}/health/ready", timeout=5).status_code == 503
        response = httpx.post(f"{proc.url}{SCORE}", json=request, headers=HEADERS, timeout=10)
        assert (
            response.status_code == 503 and response.json()["error"]["code"] == "model_unavailable"
        )
    finally:
        proc.stop()


def test_reload_under_load_loses_no_request(
    work: Path, golden: dict, mlflow_server: Proc, fraud_registry: dict
) -> None:
    proc = start_service(
        MODULE,
        work,
        _env(work, golden, mlflow_server.url, work / "cache_reload"),
        name="fraud_reload",
    )
    requests = golden["requests"]["fraud"][:20]
    try:
        set_alias(mlflow_server.url, FRAUD.registered_model_name, "champion", "2")
        results: list[tuple[int, str | None]] = []

        async def hammer(client: httpx.AsyncClient, stop: asyncio.Event, k: int) -> None:
            i = k
            while not stop.is_set():
                r = await client.post(SCORE, json=requests[i % len(requests)], headers=HEADERS)
                results.append((r.status_code, r.json().get("model_version")))
                i += 1

        async def scenario() -> dict:
            stop = asyncio.Event()
            async with httpx.AsyncClient(base_url=proc.url, timeout=30) as client:
                workers = [asyncio.create_task(hammer(client, stop, k)) for k in range(8)]
                await asyncio.sleep(1.0)
                reload = await client.post("/admin/reload", headers=HEADERS)
                await asyncio.sleep(1.0)
                stop.set()
                await asyncio.gather(*workers)
            return reload.json()

        outcome = asyncio.run(scenario())
        assert outcome == {
            "changed": True,
            "model_version": "2",
            "previous_version": "1",
            "source": "registry",
            "challenger": None,  # shadow and canary are off here
        }
        assert len(results) > 50
        assert all(status == 200 for status, _ in results), {s for s, _ in results}
        versions = [v for _, v in results]
        assert versions[0] == "1" and versions[-1] == "2" and set(versions) == {"1", "2"}
        # after the swap: the v2 graph, equal to the registered v2 model offline
        body = httpx.post(
            f"{proc.url}{SCORE}", json=requests[3], headers=HEADERS, timeout=10
        ).json()
        (reference,) = native_scores(mlflow_server, work, "fraud", "2", [body["features"]])
        assert body["model_version"] == "2" and abs(body["probability"] - reference) <= 1e-5
        text = httpx.get(f"{proc.url}/metrics", timeout=5).text
        assert metric_value(text, "mlops_model_info", version="2") == 1
        assert metric_value(text, "mlops_model_info", version="1") == 0
    finally:
        set_alias(mlflow_server.url, FRAUD.registered_model_name, "champion", "1")
        proc.stop()


def test_polling_picks_up_a_new_champion(
    work: Path, golden: dict, mlflow_server: Proc, fraud_registry: dict
) -> None:
    env = _env(
        work, golden, mlflow_server.url, work / "cache_poll", MLOPS_SERVICE_RELOAD_POLL_SECONDS="1"
    )
    proc = start_service(MODULE, work, env, name="fraud_poll")
    try:
        assert (
            httpx.get(f"{proc.url}/health/ready", timeout=5).json()["detail"]["model_version"]
            == "1"
        )
        set_alias(mlflow_server.url, FRAUD.registered_model_name, "champion", "2")
        deadline = time.monotonic() + 30
        version = "1"
        while version != "2" and time.monotonic() < deadline:
            time.sleep(0.5)
            version = httpx.get(f"{proc.url}/health/ready", timeout=5).json()["detail"][
                "model_version"
            ]
        assert version == "2"
    finally:
        set_alias(mlflow_server.url, FRAUD.registered_model_name, "champion", "1")
        proc.stop()
