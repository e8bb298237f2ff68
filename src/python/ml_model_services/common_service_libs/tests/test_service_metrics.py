"""The plain-number metrics expose exactly what ``prometheus_client``'s own metrics would.

Dashboards, alert rules and the live checks query these series, so the exposition (names,
types, HELP, labels, ``le`` strings, cumulative buckets, sums) must not change with the
counting: the same observations go into both, and the scrape texts must be equal.
"""

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ml_model_services.common_service_libs.service_metrics import (
    LATENCY_BUCKETS,
    SCORE_BUCKETS,
    ServiceMetrics,
)
from mlops_common.contracts import metrics as names

LATENCIES = [0.0004, 0.0005, 0.0007, 0.003, 0.02, 0.3, 7.0]
SCORES = [0.0, 0.05, 0.051, 0.5, 0.97, 0.99, 1.0]


def _reference(ours: ServiceMetrics) -> bytes:
    """The same families declared with ``prometheus_client`` (the metrics they replaced)."""
    r = CollectorRegistry()
    made: dict[str, Any] = {}
    for family in ours._families:
        if family.kind == "histogram":
            made[family.name] = Histogram(
                family.name, family.doc, family.labelnames, buckets=family.bounds, registry=r
            )
        else:
            kind = Counter if family.kind == "counter" else Gauge
            made[family.name] = kind(family.name, family.doc, family.labelnames, registry=r)
    info = Gauge(
        names.MODEL_INFO,
        "The model version being served (value 1).",
        ["service", "model", "version", "alias"],
        registry=r,
    )
    made[names.HTTP_REQUESTS_IN_FLIGHT].labels("svc")
    for i, t in enumerate(LATENCIES):
        made[names.HTTP_REQUEST_DURATION_SECONDS].labels("svc", "/score", "POST").observe(t)
        status = "200" if i % 3 else "422"
        made[names.HTTP_REQUESTS_TOTAL].labels("svc", "/score", "POST", status).inc()
    for p in SCORES:
        made[names.PREDICTION_SCORE].labels("svc", "m").observe(p)
        label = "review" if p >= 0.5 else "approve"
        made[names.PREDICTION_LABELS_TOTAL].labels("svc", "m", label).inc()
    made[names.FEATURE_FETCH_DURATION_SECONDS].labels("svc", "m").observe(0.0003)
    made[names.PREDICTIONS_DEGRADED_TOTAL].labels("svc", "m").inc(2)
    made[names.FEATURE_FETCH_FALLBACKS_TOTAL].labels("svc", "m", "unavailable").inc()
    made[names.MODEL_RELOADS_TOTAL].labels("svc", "m", "loaded").inc()
    info.labels("svc", "m", "3", "champion").set(1)
    return generate_latest(r)


def test_families_keep_the_contract_names_and_buckets() -> None:
    m = ServiceMetrics("svc")
    by_name = {f.name: f for f in m._families}
    assert by_name[names.HTTP_REQUEST_DURATION_SECONDS].bounds == LATENCY_BUCKETS
    assert by_name[names.PREDICTION_SCORE].bounds == SCORE_BUCKETS
    assert by_name[names.HTTP_REQUESTS_TOTAL].labelnames == ["service", "route", "method", "status"]
    assert by_name[names.FEATURE_FETCH_FALLBACKS_TOTAL].labelnames == ["service", "model", "reason"]


def test_exposition_equals_prometheus_client() -> None:
    m = ServiceMetrics("svc")
    for i, t in enumerate(LATENCIES):
        m.request_done("/score", "POST", 200 if i % 3 else 422, t)
    score = m.child(m.score, "m")
    for p in SCORES:
        score.observe(p)
        m.child(m.labels, "m", "review" if p >= 0.5 else "approve").inc()
    m.child(m.feature_latency, "m").observe(0.0003)
    m.child(m.degraded, "m").inc(2)
    m.child(m.feature_fallbacks, "m", "unavailable").inc()
    m.child(m.reloads, "m", "loaded").inc()
    m.set_model("m", "3", "champion")
    ours, theirs = generate_latest(m.registry), _reference(m)
    # Same series, same values; only the order of the families may differ.
    assert sorted(ours.decode().splitlines()) == sorted(theirs.decode().splitlines())


def test_in_flight_goes_up_and_down() -> None:
    m = ServiceMetrics("svc")
    m._in_flight.inc()
    m._in_flight.inc()
    m._in_flight.dec()
    assert (
        'mlops_http_requests_in_flight{service="svc"} 1.0' in generate_latest(m.registry).decode()
    )
