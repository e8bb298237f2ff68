import json

from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from ml_model_services.common_service_libs.app_factory import create_service_app
from ml_model_services.common_service_libs.error_handlers import ServiceError
from ml_model_services.common_service_libs.error_responses import (
    ErrorResponse,
    batch_limit_reason,
    error_responses,
)

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


class Item(BaseModel):
    amount: float = Field(ge=0)


def _app():
    app = create_service_app("demo")

    @app.post("/plain")  # declares no errors: FastAPI would add its HTTPValidationError
    async def plain(item: Item) -> dict[str, float]:
        return {"amount": item.amount}

    @app.post("/guarded", responses=error_responses(401, 422, 503))
    async def guarded(item: Item) -> dict[str, float]:
        if item.amount == 0:
            raise ServiceError(503, "model_unavailable", "no model loaded yet")
        return {"amount": item.amount}

    return app


def _schema_of(openapi: dict, path: str, status: str) -> dict:
    return openapi["paths"][path]["post"]["responses"][status]["content"]["application/json"][
        "schema"
    ]


def test_every_documented_error_is_the_error_response() -> None:
    openapi = TestClient(_app()).get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(openapi)
    assert "ValidationError" not in openapi["components"]["schemas"]
    assert _schema_of(openapi, "/plain", "422") == ERROR_REF  # FastAPI's default, replaced
    for status in ("401", "422", "503"):
        assert _schema_of(openapi, "/guarded", status) == ERROR_REF
    guarded = openapi["paths"]["/guarded"]["post"]["responses"]
    assert "x-api-key" in guarded["401"]["description"]
    error = openapi["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    detail = openapi["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "reason"}


def test_the_bodies_sent_are_the_documented_model() -> None:
    client = TestClient(_app())
    for path in ("/plain", "/guarded"):
        invalid = client.post(path, json={"amount": -1})
        assert invalid.status_code == 422
        parsed = ErrorResponse.model_validate(invalid.json())
        assert parsed.error.code == "invalid_request" and "amount" in parsed.error.reason
        # not even text: FastAPI's undocumented 400 becomes the documented 422
        garbage = client.post(
            path, content=b"\xff\x7f", headers={"content-type": "application/json"}
        )
        assert garbage.status_code == 422
        assert ErrorResponse.model_validate(garbage.json()).error.code == "invalid_request"
    unavailable = client.post("/guarded", json={"amount": 0})
    assert unavailable.status_code == 503
    assert ErrorResponse.model_validate(unavailable.json()).error.code == "model_unavailable"


def test_the_batch_limit_reason_names_the_limit_and_the_fix() -> None:
    reason = batch_limit_reason(300, 256)
    assert "300 items" in reason and "256" in reason
    assert "MLOPS_SERVICE_MAX_BATCH" in reason and "split" in reason
