from ml_reporting_monitoring.tests.alert_rule_checks import check_rule_file


def test_model_specific_alerts_pass_promtool_check_and_unit_tests() -> None:
    check_rule_file(
        "model_specific_alerts",
        {"MlopsFeatureDriftHigh", "MlopsFeatureMissingShareHigh", "MlopsPredictionDriftHigh",
         "MlopsPredictionScoreShift",
         "MlopsDegradedPredictionsHigh", "MlopsModelReloadFailed",
         "MlopsShadowDisagreementHigh", "MlopsShadowErrors"},
    )  # fmt: skip
