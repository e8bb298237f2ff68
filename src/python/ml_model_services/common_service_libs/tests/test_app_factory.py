from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from ml_model_services.common_service_libs.app_factory import create_service_app
from ml_model_services.common_service_libs.error_handlers import ServiceError


class Item(BaseModel):
    amount: float = Field(ge=0, le=1_000_000)


def _app(ready: bool = True):
    app = create_service_app("demo", readiness=lambda: (ready, "model v3" if ready else "no model"))

    @app.post("/score/{entity_id}")
    async def score(entity_id: str, item: Item) -> dict[str, float]:
        if entity_id == "boom":
            raise RuntimeError("secret internals")
        if entity_id == "gone":
            raise ServiceError(404, "unknown_entity", f"no entity {entity_id}")
        return {"score": item.amount / 10}

    return app


def test_probes_and_readiness() -> None:
    assert TestClient(_app()).get("/health/ready").json() == {
        "status": "ready",
        "detail": "model v3",
    }
    not_ready = TestClient(_app(ready=False)).get("/health/ready")
    assert not_ready.status_code == 503
    assert not_ready.json()["detail"] == "no model"


def test_errors_are_json_with_code_and_reason() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    bad = client.post("/score/u1", json={"amount": -5})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_request"
    assert "amount" in bad.json()["error"]["reason"]
    assert (
        client.post("/score/gone", json={"amount": 1}).json()["error"]["code"] == "unknown_entity"
    )
    crash = client.post("/score/boom", json={"amount": 1}, headers={"x-request-id": "r-1"})
    assert crash.status_code == 500
    assert "secret internals" not in crash.text
    assert crash.json()["error"]["request_id"] == "r-1"
    assert client.get("/nope").json()["error"]["code"] == "not_found"


def test_metrics_use_route_templates() -> None:
    client = TestClient(_app())
    for entity in ("a", "b", "c"):
        assert client.post(f"/score/{entity}", json={"amount": 10}).json() == {"score": 1.0}
    client.post("/score/a", json={"amount": "x"})
    text = client.get("/metrics").text
    assert (
        'mlops_http_requests_total{method="POST",route="/score/{entity_id}",service="demo",status="200"} 3.0'
        in text
    )
    assert 'status="422"' in text
    assert "/score/a" not in text
    assert 'mlops_http_requests_in_flight{service="demo"}' in text
