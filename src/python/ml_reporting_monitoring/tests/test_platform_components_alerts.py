from ml_reporting_monitoring.tests.alert_rule_checks import check_rule_file


def test_platform_components_alerts_pass_promtool_check_and_unit_tests() -> None:
    check_rule_file("platform_components_alerts", {"MlopsComponentDown", "MlopsServerDown"})


def test_check_promql_leaves_out_the_exporter_alerts() -> None:
    # Their series come from the blackbox and node exporters, which check-promql's throwaway
    # Prometheus does not run: it would report them as "no series" against any service.
    from ml_reporting_monitoring.alert_rules import ALERTS_DIR
    from ml_reporting_monitoring.promql_check import collect_queries

    assert (ALERTS_DIR / "platform_components_alerts.yml").exists()
    sources = {q.source.split(":")[0] for q in collect_queries()}
    assert "platform_components_alerts.yml" not in sources
