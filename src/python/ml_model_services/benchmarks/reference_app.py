"""``bare_fastapi`` in the serving benchmark: **what a team writes first**, not a ceiling.

A plain ``@app.post`` FastAPI handler with a pydantic body, one redis-py ``HMGET`` of the stored
features, the ONNX input encoded per request and ONNX Runtime (1 thread) — nothing else (no auth, no
metrics, no logs, no rules, no window features). It pays FastAPI's per-request machinery and
redis-py's client, which the fraud API's fast path avoids, so it is slower than the product:
it shows what the straightforward version costs and has no goal. The ceiling of the server
stack is :mod:`raw_asgi_app`.

    python -m ml_model_services.benchmarks.reference_app --port P --model model.onnx \
        --redis-url redis://... --project NAME
"""

from __future__ import annotations

import argparse

import numpy as np
import onnxruntime as ort
import orjson
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel

from ml_model_services.common_service_libs.online_features import (
    decode_value,
    redis_field,
    serialize_entity_key,
)
from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.onnx_signature import FEATURES_INPUT, FeatureEncoder


class Txn(BaseModel):
    transaction_id: str | None = None
    user_id: int
    amount: float
    merchant_category: str
    country: str
    hour_of_day: int


def build(model_path: str, redis_url: str, project: str) -> FastAPI:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    # The registered graph's own vocabulary (lean ONNX contract: one float tensor, categories
    # as ids), as any client of the model has to encode them.
    encoder = FeatureEncoder.from_metadata(FRAUD, session.get_modelmeta().custom_metadata_map)
    client = aioredis.Redis.from_url(redis_url)
    stored = [(f.source, f.name) for f in FRAUD.stored_features]
    fields = [redis_field(v, n) for v, n in stored]
    suffix = project.encode()
    # FastAPI's native telemetry is on by default; the fraud API turns it off (unless
    # OpenTelemetry is configured), so this route must not pay for it either.
    app = FastAPI(
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    )

    @app.post("/score")
    async def score(txn: Txn) -> Response:
        raw = await client.hmget(serialize_entity_key("user_id", txn.user_id) + suffix, fields)
        row = {n: decode_value(b) for (_, n), b in zip(stored, raw, strict=True)}
        row.update(txn.model_dump())
        avg = row["txn_amount_avg_7d"] or 0.0
        row["amount_to_avg_7d_ratio"] = txn.amount / avg if avg > 0 else 1.0
        row["is_foreign"] = int(row["home_country"] not in (None, "unknown", txn.country))
        for spec in FRAUD.features:
            if row[spec.name] is None:
                row[spec.name] = spec.default
        feeds = {FEATURES_INPUT: np.array([encoder.encode(row)], dtype=np.float32)}
        (proba,) = session.run(["probabilities"], feeds)
        return Response(
            orjson.dumps({"probability": float(proba[0, 1])}), media_type="application/json"
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--project", required=True)
    args = parser.parse_args()
    app = build(args.model, args.redis_url, args.project)
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
