from ml_reporting_monitoring.tests.alert_rule_checks import check_rule_file


def test_system_critical_alerts_pass_promtool_check_and_unit_tests() -> None:
    check_rule_file(
        "system_critical_alerts",
        {"MlopsApiHighP99Latency", "MlopsApiHighErrorRate", "MlopsScrapeTargetDown",
         "MlopsApiRequestsPilingUp", "MlopsFeatureFetchSlow"},
    )  # fmt: skip


def test_unknown_metric_names_are_caught() -> None:
    from ml_reporting_monitoring.alert_rules import unknown_metrics

    assert unknown_metrics("rate(mlops_http_requests_totl[5m])") == {"mlops_http_requests_totl"}
    assert unknown_metrics("rate(mlops_http_request_duration_seconds_bucket[5m])") == set()
