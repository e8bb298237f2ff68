"""Prometheus metric names and labels the services expose and dashboards/alerts query.

Services (``ml_model_services``) create these metrics; Grafana dashboards and alert rules
(``dashboards/``, ``ml_reporting_monitoring``) query them. Renaming one here and running the
tests shows every place that must follow.
"""

from __future__ import annotations

# Common HTTP metrics (every API), labels: service, route, method, status / service, route, method.
HTTP_REQUESTS_TOTAL = "mlops_http_requests_total"
HTTP_REQUEST_DURATION_SECONDS = "mlops_http_request_duration_seconds"
HTTP_REQUESTS_IN_FLIGHT = "mlops_http_requests_in_flight"

# Model metrics, labels: service, model, (version).
MODEL_INFO = "mlops_model_info"  # gauge = 1, labels: service, model, version, alias
PREDICTION_SCORE = "mlops_prediction_score"  # histogram of positive-class probability
PREDICTION_LABELS_TOTAL = "mlops_prediction_labels_total"  # counter, extra label: label
PREDICTIONS_DEGRADED_TOTAL = "mlops_predictions_degraded_total"  # served with default features
FEATURE_FETCH_DURATION_SECONDS = "mlops_feature_fetch_duration_seconds"  # histogram
FEATURE_FETCH_FALLBACKS_TOTAL = "mlops_feature_fetch_fallbacks_total"  # extra label: reason
MODEL_RELOADS_TOTAL = "mlops_model_reloads_total"  # extra label: outcome (loaded, unchanged,
# cache, failed, absent; challenger_<outcome> for the challenger slot)

# Monitoring jobs (drift checks), labels: model, feature.
FEATURE_DRIFT_PSI = "mlops_feature_drift_psi"
PREDICTION_DRIFT_PSI = "mlops_prediction_drift_psi"  # labels: model
# 0/1, the drift job's own decision on the score distribution (Wasserstein or PSI at its
# threshold, gated by KS): what MlopsPredictionDriftHigh fires on, not PSI alone.
PREDICTION_DRIFT_DETECTED = "mlops_prediction_drift_detected"  # labels: model

# Train/serve skew check (feature-store-cli skew), labels: model, feature / model, state.
FEATURE_SKEW_RATIO = "mlops_feature_skew_ratio"
FEATURE_SKEW_DECISIONS = "mlops_feature_skew_decisions"
FEATURE_SKEW_LAST_CHECK = "mlops_feature_skew_last_check_timestamp_seconds"

# Shadow and canary (issue 19): the challenger scores the champion's feature vector off the
# hot path (``mlops_common.shadow_log`` keeps the pairs). Labels, per metric:
#   predictions / errors: service, model, champion_version, challenger_version
#   decision changes: the same + champion_label, challenger_label (only when they differ)
#   score: service, model, version, role ("champion" | "challenger"), histogram of the
#     positive-class probability of every shadowed request, both roles on the same requests
#   canary decisions: service, model, version (of the challenger whose label was returned)
SHADOW_PREDICTIONS_TOTAL = "mlops_shadow_predictions_total"
SHADOW_DECISION_CHANGES_TOTAL = "mlops_shadow_decision_changes_total"
SHADOW_ERRORS_TOTAL = "mlops_shadow_errors_total"
SHADOW_SCORE = "mlops_shadow_score"
CANARY_DECISIONS_TOTAL = "mlops_canary_decisions_total"
SHADOW_ROLES = ("champion", "challenger")
