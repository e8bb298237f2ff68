"""The Prometheus metrics a service exposes, counted as plain numbers and exported at scrape time.

``prometheus_client``'s ``Counter.inc`` / ``Histogram.observe`` take a lock and walk the
bucket list in Python; with seven calls per prediction they cost ~41 µs of CPU per request
under load (py-spy, 2026-12-02), as much as the whole feature read. Here the hot path adds
to plain ints and one bucket list per labelled child (a ``bisect``, no lock: every update
runs on the event loop; the rare ones from worker threads — reload outcomes — are
serialised by the model handler's lock), and a custom collector turns them into the same
families when Prometheus scrapes. Names, types, labels, buckets and exposition stay those of
the ``prometheus_client`` metrics they replace (:mod:`mlops_common.contracts.metrics`;
dashboards and alert rules query them). ``mlops_model_info`` keeps a ``prometheus_client``
gauge: it changes on reloads only and needs ``remove``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString
from starlette.responses import Response

from mlops_common.contracts import metrics as names

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = (*(round(0.05 * i, 2) for i in range(1, 20)), 0.99, 1.0)
FETCH_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


class Count:
    """One labelled counter (or gauge) child: a plain number."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount

    def dec(self, amount: int = 1) -> None:
        self.value -= amount


class Buckets:
    """One labelled histogram child: a count per bucket (``le`` inclusive, as Prometheus) + sum."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value


class Family:
    """A metric family: its name, help, label names and children by label values."""

    def __init__(
        self, kind: str, name: str, doc: str, labels: list[str], bounds: tuple[float, ...] = ()
    ) -> None:
        self.kind, self.name, self.doc, self.labelnames = kind, name, doc, labels
        self.bounds = bounds
        self.children: dict[tuple[str, ...], Any] = {}
        self._le = [floatToGoString(b) for b in bounds]

    def child(self, *labels: str) -> Any:
        """The child of these label values (created on first use, like ``.labels()``)."""
        found = self.children.get(labels)
        if found is None:
            found = Buckets(self.bounds) if self.kind == "histogram" else Count()
            self.children[labels] = found
        return found

    def export(self) -> Metric:
        children = list(self.children.items())  # a thread may add one meanwhile
        if self.kind == "counter":
            counter = CounterMetricFamily(self.name, self.doc, labels=self.labelnames)
            for labels, count in children:
                counter.add_metric(labels, count.value)
            return counter
        if self.kind == "gauge":
            gauge = GaugeMetricFamily(self.name, self.doc, labels=self.labelnames)
            for labels, count in children:
                gauge.add_metric(labels, count.value)
            return gauge
        histogram = HistogramMetricFamily(self.name, self.doc, labels=self.labelnames)
        for labels, child in children:
            counts, total, cumulative = list(child.counts), child.sum, []
            running = 0
            for le, n in zip([*self._le, "+Inf"], counts, strict=True):
                running += n
                cumulative.append((le, running))
            histogram.add_metric(labels, cumulative, total)
        return histogram


class ServiceMetrics:
    """The metric families one service exposes; one registry per app keeps tests isolated."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()  # no *_created series: they double the scrape size
        self.service = service
        self.registry = registry or CollectorRegistry()
        self.requests = Family(
            "counter",
            names.HTTP_REQUESTS_TOTAL,
            "HTTP requests by route, method and status.",
            ["service", "route", "method", "status"],
        )
        self.latency = Family(
            "histogram",
            names.HTTP_REQUEST_DURATION_SECONDS,
            "HTTP request latency by route.",
            ["service", "route", "method"],
            LATENCY_BUCKETS,
        )
        self.in_flight = Family(
            "gauge", names.HTTP_REQUESTS_IN_FLIGHT, "Requests being served now.", ["service"]
        )
        self.score = Family(
            "histogram",
            names.PREDICTION_SCORE,
            "Positive-class probability of each prediction.",
            ["service", "model"],
            SCORE_BUCKETS,
        )
        self.labels = Family(
            "counter",
            names.PREDICTION_LABELS_TOTAL,
            "Label Engine decisions by label.",
            ["service", "model", "label"],
        )
        self.degraded = Family(
            "counter",
            names.PREDICTIONS_DEGRADED_TOTAL,
            "Predictions served with default feature values.",
            ["service", "model"],
        )
        self.feature_latency = Family(
            "histogram",
            names.FEATURE_FETCH_DURATION_SECONDS,
            "Online feature store read latency per read (one read serves a batch of requests).",
            ["service", "model"],
            FETCH_BUCKETS,
        )
        self.feature_fallbacks = Family(
            "counter",
            names.FEATURE_FETCH_FALLBACKS_TOTAL,
            "Feature reads answered with defaults, by reason.",
            ["service", "model", "reason"],
        )
        self.reloads = Family(
            "counter",
            names.MODEL_RELOADS_TOTAL,
            "Model (re)load attempts by outcome.",
            ["service", "model", "outcome"],
        )
        # Shadow / canary (issue 19; labels in mlops_common.contracts.metrics): updated only
        # on the event loop, by the shadow worker's callbacks and by canary decisions (its
        # own family), so the plain numbers need no lock here either.
        pair = ["service", "model", "champion_version", "challenger_version"]
        self.shadow_predictions = Family(
            "counter",
            names.SHADOW_PREDICTIONS_TOTAL,
            "Requests the challenger scored in shadow next to the champion.",
            pair,
        )
        self.shadow_changes = Family(
            "counter",
            names.SHADOW_DECISION_CHANGES_TOTAL,
            "Shadowed requests whose challenger label differs from the champion's.",
            [*pair, "champion_label", "challenger_label"],
        )
        self.shadow_errors = Family(
            "counter",
            names.SHADOW_ERRORS_TOTAL,
            "Shadowed requests the challenger failed to score (never seen by a client).",
            pair,
        )
        self.shadow_score = Family(
            "histogram",
            names.SHADOW_SCORE,
            "Positive-class probability of both models on the same shadowed requests.",
            ["service", "model", "version", "role"],
            SCORE_BUCKETS,
        )
        self.canary_decisions = Family(
            "counter",
            names.CANARY_DECISIONS_TOTAL,
            "Responses whose decision the challenger made (canary entities).",
            ["service", "model", "version"],
        )
        self.model_info = Gauge(
            names.MODEL_INFO,
            "The model version being served (value 1).",
            ["service", "model", "version", "alias"],
            registry=self.registry,
        )
        self._families = [
            self.requests,
            self.latency,
            self.in_flight,
            self.score,
            self.labels,
            self.degraded,
            self.feature_latency,
            self.feature_fallbacks,
            self.reloads,
            self.shadow_predictions,
            self.shadow_changes,
            self.shadow_errors,
            self.shadow_score,
            self.canary_decisions,
        ]
        self.registry.register(self)  # a Collector by protocol: collect() at scrape time
        self._in_flight = self.in_flight.child(service)

    def collect(self) -> Iterator[Metric]:
        """The scrape-time export (``prometheus_client`` Collector protocol)."""
        for family in self._families:
            yield family.export()

    def child(self, family: Family, *labels: str) -> Any:
        """The child of ``family`` for this service and ``labels``: bind it once, use it often."""
        return family.child(self.service, *labels)

    def request_done(self, route: str, method: str, status: int, elapsed_s: float) -> None:
        """One HTTP request: its latency and its count (``status`` as its label string)."""
        self.latency.child(self.service, route, method).observe(elapsed_s)
        self.requests.child(self.service, route, method, str(status)).inc()

    def set_model(self, model: str, version: str, alias: str) -> None:
        """Exactly one ``mlops_model_info`` series per model and alias: the version served."""
        self.clear_model(model, alias)
        self.model_info.labels(self.service, model, version, alias).set(1)

    def clear_model(self, model: str, alias: str) -> None:
        """No ``mlops_model_info`` series for this alias (a challenger that was unloaded)."""
        for sample_labels in list(self.model_info._metrics):
            if (sample_labels[0], sample_labels[1], sample_labels[3]) == (
                self.service,
                model,
                alias,
            ):
                self.model_info.remove(*sample_labels)

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
