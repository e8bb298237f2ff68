"""Drift results as Prometheus gauges, for Grafana's drift dashboard and the drift alerts.

Per feature there are two signals, each with a value gauge and a 0/1 decision gauge that the
alert rules (``dashboards/alerts/model_specific_alerts.yml``) fire on, so that an alert means
exactly what the drift job decided with its configured thresholds:

* distribution: ``mlops_feature_drift_statistic{statistic=...}`` (the effect size that
  decided, e.g. ``wasserstein_normed`` or ``cohens_h``), ``mlops_feature_drift_psi`` and
  ``mlops_feature_drift_detected``;
* missing values: ``mlops_feature_missing_ratio{window="reference"|"current"}`` (share of
  rows with a null, 0..1, hence ``_ratio``) and ``mlops_feature_missing_drift_detected``.

Per model the score distribution has ``mlops_prediction_drift_psi`` and
``mlops_prediction_drift_detected`` (the same decision as ``prediction_drifted`` in the JSON:
Wasserstein or PSI at its threshold and KS p below the gate); PSI alone at a fixed level would
page on what the job found not significant and miss what only Wasserstein saw.

A drift check is a batch job, not a server, so its gauges go to a fresh
``CollectorRegistry`` that is either written as a node-exporter textfile or pushed to a
Pushgateway; a long-running process can also serve the same registry over HTTP.

A push (HTTP PUT) replaces every series of its group, and the drift job runs once per model,
so each model is pushed as its own group (``/metrics/job/mlops-drift-check/model/<name>``):
with the job alone as the group, the second model's push would delete the first one's gauges.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from ml_reporting_monitoring.drift.summary import DriftSummary
from mlops_common.contracts.metrics import (
    FEATURE_DRIFT_PSI,
    PREDICTION_DRIFT_DETECTED,
    PREDICTION_DRIFT_PSI,
)

PUSH_JOB = "mlops-drift-check"
FEATURE_DRIFT_DETECTED = "mlops_feature_drift_detected"
FEATURE_DRIFT_STATISTIC = "mlops_feature_drift_statistic"
FEATURE_MISSING_RATIO = "mlops_feature_missing_ratio"
FEATURE_MISSING_DRIFT_DETECTED = "mlops_feature_missing_drift_detected"
CONCEPT_METRIC_RELATIVE_CHANGE = "mlops_concept_metric_relative_change"


def drift_registry(
    summaries: list[DriftSummary], registry: CollectorRegistry | None = None
) -> CollectorRegistry:
    """Gauges for every summary (one per model) in ``registry`` (a new one by default)."""
    registry = registry or CollectorRegistry()
    psi = Gauge(FEATURE_DRIFT_PSI, "PSI of a feature, current vs reference window",
                ["model", "feature"], registry=registry)  # fmt: skip
    detected = Gauge(FEATURE_DRIFT_DETECTED,
                     "1 when the feature's distribution drifted (effect size and p-value)",
                     ["model", "feature"], registry=registry)  # fmt: skip
    statistic = Gauge(FEATURE_DRIFT_STATISTIC,
                      "effect size that decided the feature's distribution drift",
                      ["model", "feature", "statistic"], registry=registry)  # fmt: skip
    missing = Gauge(FEATURE_MISSING_RATIO, "share of rows where the feature is missing (0..1)",
                    ["model", "feature", "window"], registry=registry)  # fmt: skip
    missing_detected = Gauge(FEATURE_MISSING_DRIFT_DETECTED,
                             "1 when the feature's missing share changed (effect and p-value)",
                             ["model", "feature"], registry=registry)  # fmt: skip
    prediction = Gauge(PREDICTION_DRIFT_PSI, "PSI of the positive-class score distribution",
                       ["model"], registry=registry)  # fmt: skip
    prediction_detected = Gauge(PREDICTION_DRIFT_DETECTED,
                                "1 when the score distribution drifted (effect size and p-value)",
                                ["model"], registry=registry)  # fmt: skip
    concept = Gauge(CONCEPT_METRIC_RELATIVE_CHANGE,
                    "relative change of the latest window's metric vs the training baseline",
                    ["model", "metric"], registry=registry)  # fmt: skip
    for summary in summaries:
        for feature in summary.features:
            psi.labels(summary.model, feature.feature).set(feature.psi)
            detected.labels(summary.model, feature.feature).set(
                feature.distribution_status == "drift"
            )
            statistic.labels(summary.model, feature.feature, feature.statistic or "none").set(
                feature.value
            )
            if feature.missing is not None:
                for window in ("reference", "current"):
                    missing.labels(summary.model, feature.feature, window).set(
                        getattr(feature.missing, window)
                    )
                missing_detected.labels(summary.model, feature.feature).set(
                    feature.missing.status == "drift"
                )
        if summary.prediction is not None:
            prediction.labels(summary.model).set(summary.prediction.psi)
            prediction_detected.labels(summary.model).set(summary.prediction_drifted)
        if summary.concept_windows:
            metric = summary.thresholds.get("concept_metric", "metric")
            concept.labels(summary.model, metric).set(summary.concept_windows[-1].relative_change)
    return registry


def export_drift_metrics(
    summaries: list[DriftSummary], textfile: Path | None = None, pushgateway: str | None = None
) -> CollectorRegistry:
    """Write the gauges to a textfile and/or push them (one group per model); returns the
    registry holding every summary's gauges."""
    registry = drift_registry(summaries)
    if textfile is not None:
        textfile.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(textfile), registry)
    if pushgateway:
        for summary in summaries:  # one registry per group: a push carries only its model
            push_to_gateway(pushgateway, job=PUSH_JOB, registry=drift_registry([summary]),
                            grouping_key={"model": summary.model})  # fmt: skip
    return registry
