"""The PromQL check itself, on a real Prometheus scraping the SYNTHETIC metrics exporter.

The exporter (contract metric names, random traffic, 5xx included) is fast to start, so these
tests pin the check's behaviour: the inventory of queries, broken and empty queries caught,
the alert rules loaded. ``test_live_fraud_service.py`` runs the same check against the real
fraud service; ``monitoring-cli check-promql --target mlops-fraud-service=HOST:PORT`` runs it
against a deployment.
"""

import os
import subprocess
import sys

import httpx
import pytest
import yaml

from ml_reporting_monitoring.alert_rules import ALERTS_DIR
from ml_reporting_monitoring.promql_check import (
    Query,
    check_against_targets,
    collect_queries,
    evaluate_all,
    free_port,
    running_prometheus,
    wait_for_scrapes,
)


@pytest.fixture(scope="module")
def synthetic_target():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ml_reporting_monitoring.testing.synthetic_metrics_exporter",
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None  # stdout=PIPE
        line = process.stdout.readline()
        assert "serving" in line, f"exporter did not start (exit {process.poll()})"
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_inventory_covers_all_dashboards_and_alerts() -> None:
    sources = {q.source.split(":")[0] for q in collect_queries()}
    assert sources == {
        "model_specific_alerts.yml", "system_critical_alerts.yml",
        "overview_model_performance.json", "feature_drift_analysis.json",
        "system_health_overview.json",
    }  # fmt: skip
    assert len(collect_queries()) >= 40


def test_every_query_parses_and_returns_series(synthetic_target) -> None:
    problems = check_against_targets({"mlops-fraud-service": synthetic_target})
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_check_catches_broken_and_empty_queries(synthetic_target) -> None:
    job = "mlops-fraud-service"
    with running_prometheus({job: synthetic_target}) as url:
        wait_for_scrapes(url, [job])
        # The alert rules load into the live Prometheus and evaluate without errors.
        groups = httpx.get(f"{url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        in_files = sum(
            len(g["rules"])
            for f in ALERTS_DIR.glob("*.yml")
            for g in yaml.safe_load(f.read_text())["groups"]
        )
        assert len(rules) == in_files >= 13, (in_files, rules)
        assert all(r["health"] == "ok" for r in rules), rules
        problems = evaluate_all(url, [
            Query("typo", "x", "sum by (model (rate(mlops_prediction_score_count[1m]))"),
            Query("renamed", "x", "rate(mlops_prediction_scores_count[1m])"),
            Query("ok", "x", "sum(rate(mlops_prediction_score_count[1m]))"),
        ])  # fmt: skip
    assert set(problems) == {"typo", "renamed"}
    assert "parse" in problems["typo"] and "no series" in problems["renamed"]
