from ml_reporting_monitoring.tests.alert_rule_checks import check_rule_file


def test_feature_skew_alerts_pass_promtool_check_and_unit_tests() -> None:
    check_rule_file("feature_skew_alerts", {"MlopsFeatureSkewHigh", "MlopsFeatureSkewCheckStale"})
