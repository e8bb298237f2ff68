"""SYNTHETIC stand-in for a model service's /metrics, for checking dashboards and alerts.

Not a service: it exposes exactly the contract metric names and labels
(``mlops_common.contracts.metrics``) fed with random traffic, plus the gauges of a real drift
computation on synthetic data, so a real Prometheus can scrape it and every dashboard/alert
query can be evaluated before (or without) the real fraud service. Point the live check at
the real service instead with ``monitoring-cli check-promql --target host:port``.

    python -m ml_reporting_monitoring.testing.synthetic_metrics_exporter --port 9999
"""

from __future__ import annotations

import argparse
import random
import time

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)

from ml_reporting_monitoring.config import DriftThresholds
from ml_reporting_monitoring.drift.metrics_export import drift_registry
from ml_reporting_monitoring.drift.summary import calculate_drift
from ml_reporting_monitoring.testing.synthetic_data import fraud_frame
from mlops_common.contracts import metrics as m
from mlops_common.contracts.features import FRAUD

SCORE_BUCKETS = [i / 20 for i in range(1, 21)]


def _metrics() -> dict:
    http = ["service", "route", "method"]
    model = ["service", "model"]
    return {
        "requests": Counter(m.HTTP_REQUESTS_TOTAL, "HTTP requests", [*http, "status"]),
        "duration": Histogram(m.HTTP_REQUEST_DURATION_SECONDS, "HTTP latency", http),
        "in_flight": Gauge(m.HTTP_REQUESTS_IN_FLIGHT, "requests in flight", ["service"]),
        "info": Gauge(m.MODEL_INFO, "served model", ["service", "model", "version", "alias"]),
        "score": Histogram(
            m.PREDICTION_SCORE, "positive-class score", model, buckets=SCORE_BUCKETS
        ),
        "labels": Counter(m.PREDICTION_LABELS_TOTAL, "predicted labels", [*model, "label"]),
        "degraded": Counter(m.PREDICTIONS_DEGRADED_TOTAL, "degraded predictions", model),
        "fetch": Histogram(
            m.FEATURE_FETCH_DURATION_SECONDS,
            "online feature fetch",
            model,
            buckets=[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
        ),
        "fallbacks": Counter(m.FEATURE_FETCH_FALLBACKS_TOTAL, "fallbacks", [*model, "reason"]),
        "reloads": Counter(m.MODEL_RELOADS_TOTAL, "model reloads", [*model, "outcome"]),
        **_shadow_metrics(),
    }


def _shadow_metrics() -> dict:
    """Shadow scoring and canary metrics (issue 19), with the contract's labels."""
    pair = ["service", "model", "champion_version", "challenger_version"]
    return {
        "shadow": Counter(m.SHADOW_PREDICTIONS_TOTAL, "shadow-scored requests", pair),
        "changes": Counter(
            m.SHADOW_DECISION_CHANGES_TOTAL,
            "decisions the challenger changes",
            [*pair, "champion_label", "challenger_label"],
        ),
        "shadow_errors": Counter(m.SHADOW_ERRORS_TOTAL, "challenger errors", pair),
        "shadow_score": Histogram(
            m.SHADOW_SCORE,
            "shadow scores by role",
            ["service", "model", "version", "role"],
            buckets=SCORE_BUCKETS,
        ),
        "canary": Counter(
            m.CANARY_DECISIONS_TOTAL, "canary decisions", ["service", "model", "version"]
        ),
    }


def shadow_traffic(
    metric: dict, rng: random.Random, service: str, model: str, score: float
) -> None:
    """One shadowed request: champion "3" and challenger "4" score it; some decisions change."""
    challenger = min(max(score + rng.gauss(0, 0.05), 0.0), 1.0)
    metric["shadow"].labels(service, model, "3", "4").inc()
    metric["shadow_score"].labels(service, model, "3", "champion").observe(score)
    metric["shadow_score"].labels(service, model, "4", "challenger").observe(challenger)
    champion_label, challenger_label = str(int(score >= 0.5)), str(int(challenger >= 0.5))
    if champion_label != challenger_label:
        metric["changes"].labels(service, model, "3", "4", champion_label, challenger_label).inc()
    if rng.random() < 0.01:
        metric["shadow_errors"].labels(service, model, "3", "4").inc()
    if rng.random() < 0.1:
        metric["canary"].labels(service, model, "4").inc()


def drift_gauges(registry: CollectorRegistry | None = None) -> CollectorRegistry:
    """The drift check's gauges from a real drift computation on synthetic fraud data
    (``amount`` shifted, labels decaying over time), in ``registry`` (a new one by default).
    """
    reference = fraud_frame(4_000, seed=1)
    current = fraud_frame(2_000, seed=2, shift={"amount": 0.6}, concept_decay=0.5)
    summary = calculate_drift(
        reference, current, model=FRAUD.registered_model_name,
        thresholds=DriftThresholds(min_window_rows=20), features=["amount", "country", "age"],
        score="score", label="is_fraud", timestamp="event_timestamp",
    )  # fmt: skip
    return drift_registry([summary], registry=registry)


def serve(port: int, service: str, model: str, rate_per_s: float) -> None:
    metric = _metrics()
    drift_gauges(REGISTRY)
    metric["info"].labels(service, model, "3", "champion").set(1)
    metric["reloads"].labels(service, model, "unchanged").inc()
    metric["reloads"].labels(service, model, "failed").inc()
    # Counters that must have a series before the first random event reaches them.
    metric["changes"].labels(service, model, "3", "4", "0", "1").inc()
    metric["shadow_errors"].labels(service, model, "3", "4").inc()
    start_http_server(port, addr="127.0.0.1")
    print(f"synthetic exporter serving on 127.0.0.1:{port}", flush=True)
    rng = random.Random(0)
    while True:
        route = rng.choice(["/predict", "/predict", "/predict", "/health"])
        status = rng.choices(["200", "500", "422"], weights=[90, 5, 5])[0]
        metric["requests"].labels(service, route, "POST", status).inc()
        metric["duration"].labels(service, route, "POST").observe(rng.lognormvariate(-5, 0.8))
        metric["in_flight"].labels(service).set(rng.randint(0, 4))
        if route == "/predict":
            score = min(max(rng.betavariate(1, 12), 0.0), 1.0)
            metric["score"].labels(service, model).observe(score)
            metric["labels"].labels(service, model, str(int(score >= 0.5))).inc()
            metric["fetch"].labels(service, model).observe(rng.lognormvariate(-7, 0.5))
            shadow_traffic(metric, rng, service, model, score)
            if rng.random() < 0.03:
                metric["degraded"].labels(service, model).inc()
                metric["fallbacks"].labels(service, model, "online_store_timeout").inc()
        time.sleep(1.0 / rate_per_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--service", default="fraud")
    parser.add_argument("--model", default=FRAUD.registered_model_name)
    parser.add_argument("--rate", type=float, default=200.0, help="synthetic requests/second")
    args = parser.parse_args()
    serve(args.port, args.service, args.model, args.rate)


if __name__ == "__main__":
    main()
