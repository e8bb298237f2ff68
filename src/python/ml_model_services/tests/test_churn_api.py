"""The churn API on the embedded profile: Feast's SQLite online store and the champion the
trainer published under $MLOPS_HOME/models (no registry server needed), end to end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ml_model_services.tests.conftest import native_scores
from ml_model_services.tests.openapi_fuzz import fuzz_service
from ml_model_services.tests.support import API_KEY, Proc, metric_value, same_value, start_service
from mlops_common.contracts.features import CHURN
from mlops_common.label_engine import bundled_rules_path, load_rules

MODULE = "ml_model_services.customer_churn_api.main"
HEADERS = {"x-api-key": API_KEY}


@pytest.fixture(scope="module")
def service(work: Path, golden: dict, churn_registry: dict) -> Iterator[Proc]:
    env = {
        "MLOPS_PROFILE": "embedded",
        "MLOPS_HOME": str(churn_registry["home"]),  # the trainer published the champion here
        "MLOPS_SERVICE_SQLITE_PATH": golden["sqlite_path"],
        "MLOPS_SERVICE_FEAST_PROJECT": golden["project"],
        "MLOPS_SERVICE_MODEL_CACHE_DIR": str(work / "churn_cache"),
    }
    proc = start_service(MODULE, work, env, name="churn")
    yield proc
    proc.stop()


def test_churn_scores_equal_the_offline_model(
    service: Proc, golden: dict, mlflow_server: Proc, work: Path
) -> None:
    requests = golden["requests"]["churn"]
    response = httpx.post(
        f"{service.url}/v1/churn/score/batch", json={"items": requests}, headers=HEADERS, timeout=30
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["model"]["name"] == CHURN.registered_model_name
    assert payload["model"]["version"] == "1"
    predictions = payload["predictions"]
    sdk = golden["sqlite"]["churn"]
    defaults = CHURN.defaults()
    for i, prediction in enumerate(predictions):
        missing = [f.name for f in CHURN.features if sdk[f.name][i] is None]
        assert prediction["missing_features"] == missing
        assert prediction["degraded"] is bool(missing)
        for spec in CHURN.features:
            expected = defaults[spec.name] if spec.name in missing else sdk[spec.name][i]
            assert same_value(prediction["features"][spec.name], expected), (i, spec.name)
    assert predictions[-1]["missing_features"] == CHURN.feature_names  # the unknown user
    assert [p["entity_known"] for p in predictions] == [True] * (len(predictions) - 1) + [False]

    offline = native_scores(mlflow_server, work, "churn", "1", [p["features"] for p in predictions])
    features = [p["features"] for p in predictions]  # pyfunc on the alias = the served graph
    pyfunc = native_scores(mlflow_server, work, "churn", "1", features, engine="pyfunc")
    assert pyfunc == pytest.approx([p["probability"] for p in predictions], abs=1e-7)
    rules = load_rules(bundled_rules_path(CHURN.use_case))
    for prediction, reference in zip(predictions, offline, strict=True):
        assert abs(prediction["probability"] - reference) <= 1e-5
        decision = rules.decide({**prediction["features"], "score": prediction["probability"]})
        assert (prediction["label"], prediction["fired_rules"]) == (
            decision.label,
            list(decision.fired),
        )


def test_churn_service_reports_its_embedded_sources(service: Proc) -> None:
    info = httpx.get(f"{service.url}/v1/churn/model", headers=HEADERS, timeout=5).json()
    assert info["model"]["source"] == "published" and info["model_source"] == "published"
    assert info["features"]["online_store"] == "sqlite"
    single = httpx.post(
        f"{service.url}/v1/churn/score", json={"user_id": 2}, headers=HEADERS, timeout=5
    )
    assert single.status_code == 200 and single.json()["label"] in (
        "no_action",
        "nurture",
        "retention_offer",
    )
    for bad in ({"user_id": "2"}, {"user_id": 0}, {"user_id": 2, "plan": "x"}, {}):
        response = httpx.post(f"{service.url}/v1/churn/score", json=bad, headers=HEADERS, timeout=5)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    assert (
        httpx.post(f"{service.url}/v1/churn/score", json={"user_id": 2}, timeout=5).status_code
        == 401
    )
    text = httpx.get(f"{service.url}/metrics", timeout=5).text
    assert metric_value(text, "mlops_model_info", service="customer-churn-api", version="1") == 1
    assert metric_value(text, "mlops_predictions_degraded_total") >= 1


def test_churn_schemathesis_finds_no_5xx_and_no_schema_violation(
    service: Proc, record_property: Callable[[str, object], None]
) -> None:
    report = fuzz_service(service.url, API_KEY, max_examples=30)
    record_property("schemathesis", report.summary())  # in the JUnit report: count and time
    assert report.statuses[200] > 10, report.summary()  # valid requests reached the model
    assert report.examples["negative"] > 20, report.summary()
    too_many = httpx.post(
        f"{service.url}/v1/churn/score/batch",
        json={"items": [{"user_id": 2}] * 257},
        headers=HEADERS,
        timeout=10,
    )
    assert too_many.status_code == 413 and too_many.json()["error"]["code"] == "batch_too_large"
