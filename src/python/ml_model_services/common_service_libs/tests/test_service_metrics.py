"""The plain-number metrics expose exactly what ``prometheus_client``'s own metrics would.

Dashboards, alert rules and the live checks query these series, so the exposition (names,
types, HELP, labels, ``le`` strings, cumulative buckets, sums) must not change with the
counting: the same observations go into both, and the scrape texts must be equal.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ml_model_services.common_service_libs.service_metrics import (
    FETCH_BUCKETS,
    LATENCY_BUCKETS,
    SCORE_BUCKETS,
    ServiceMetrics,
)
from mlops_common.contracts import metrics as names

LATENCIES = [0.0004, 0.0005, 0.0007, 0.003, 0.02, 0.3, 7.0]
SCORES = [0.0, 0.05, 0.051, 0.5, 0.97, 0.99, 1.0]


def _reference() -> bytes:
    r = CollectorRegistry()
    requests = Counter(
        names.HTTP_REQUESTS_TOTAL,
        "HTTP requests by route, method and status.",
        ["service", "route", "method", "status"],
        registry=r,
    )
    latency = Histogram(
        names.HTTP_REQUEST_DURATION_SECONDS,
        "HTTP request latency by route.",
        ["service", "route", "method"],
        buckets=LATENCY_BUCKETS,
        registry=r,
    )
    in_flight = Gauge(
        names.HTTP_REQUESTS_IN_FLIGHT, "Requests being served now.", ["service"], registry=r
    )
    score = Histogram(
        names.PREDICTION_SCORE,
        "Positive-class probability of each prediction.",
        ["service", "model"],
        buckets=SCORE_BUCKETS,
        registry=r,
    )
    labels = Counter(
        names.PREDICTION_LABELS_TOTAL,
        "Label Engine decisions by label.",
        ["service", "model", "label"],
        registry=r,
    )
    degraded = Counter(
        names.PREDICTIONS_DEGRADED_TOTAL,
        "Predictions served with default feature values.",
        ["service", "model"],
        registry=r,
    )
    fetch = Histogram(
        names.FEATURE_FETCH_DURATION_SECONDS,
        "Online feature store read latency per request.",
        ["service", "model"],
        buckets=FETCH_BUCKETS,
        registry=r,
    )
    fallbacks = Counter(
        names.FEATURE_FETCH_FALLBACKS_TOTAL,
        "Feature reads answered with defaults, by reason.",
        ["service", "model", "reason"],
        registry=r,
    )
    reloads = Counter(
        names.MODEL_RELOADS_TOTAL,
        "Model (re)load attempts by outcome.",
        ["service", "model", "outcome"],
        registry=r,
    )
    info = Gauge(
        names.MODEL_INFO,
        "The model version being served (value 1).",
        ["service", "model", "version", "alias"],
        registry=r,
    )
    in_flight.labels("svc")
    for i, t in enumerate(LATENCIES):
        latency.labels("svc", "/score", "POST").observe(t)
        requests.labels("svc", "/score", "POST", "200" if i % 3 else "422").inc()
    for p in SCORES:
        score.labels("svc", "m").observe(p)
        labels.labels("svc", "m", "review" if p >= 0.5 else "approve").inc()
    fetch.labels("svc", "m").observe(0.0003)
    degraded.labels("svc", "m").inc(2)
    fallbacks.labels("svc", "m", "unavailable").inc()
    reloads.labels("svc", "m", "loaded").inc()
    info.labels("svc", "m", "3", "champion").set(1)
    return generate_latest(r)


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
    ours, theirs = generate_latest(m.registry), _reference()
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
