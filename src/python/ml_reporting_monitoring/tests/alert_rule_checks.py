"""Shared checks for one alert-rule file (each rule file has its own test module)."""

from pathlib import Path

from ml_reporting_monitoring.alert_rules import (
    ALERTS_DIR,
    load_rules,
    run_promtool,
    unknown_metrics,
)


def check_rule_file(stem: str, expected_alerts: set[str]) -> None:
    rules_path = ALERTS_DIR / f"{stem}.yml"
    unit_tests = ALERTS_DIR / "tests" / f"{stem}_test.yml"
    output = run_promtool("check", "rules", rules_path)
    assert f"SUCCESS: {len(expected_alerts)} rules found" in output, output
    output = run_promtool("test", "rules", unit_tests)
    assert "SUCCESS" in output and "FAILED" not in output, output
    rules = load_rules(rules_path)
    assert {r.name for r in rules} == expected_alerts
    tested = Path(unit_tests).read_text()
    for rule in rules:
        assert rule.labels.get("severity") in {"warning", "critical"}, rule.name
        assert rule.annotations.get("summary") and rule.annotations.get("description"), rule.name
        assert unknown_metrics(rule.expr) == set(), f"{rule.name}: not in metrics contract"
        assert f"alertname: {rule.name}" in tested, f"{rule.name} has no promtool unit test"
