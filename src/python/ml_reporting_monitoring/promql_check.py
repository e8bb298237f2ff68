"""Evaluate every PromQL expression of the dashboards and alert rules against a live Prometheus.

Grafana cannot run here, so the strongest check of a dashboard is that each of its queries
parses and returns series from a Prometheus scraping a real target. Two rewrites make the
queries evaluable as they are:

* Grafana variables become match-all (``$service`` -> ``.*``) and ``$__rate_interval`` a
  fixed window;
* an alert's threshold comparison gets Prometheus' ``bool`` modifier (``X > 0.2`` ->
  ``X > bool 0.2``), which keeps every series of X (as 0/1) instead of only the firing ones,
  so a healthy target still proves that the signal behind the alert exists.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from ml_reporting_monitoring.alert_rules import ALERTS_DIR, find_binary, load_rules
from ml_reporting_monitoring.dashboards_as_code import GRAFANA_DIR
from mlops_common.http_wait import wait_until_ready
from mlops_common.ports import free_port

_COMPARISON = re.compile(r"(==|!=|>=|<=|>(?!=)|<(?!=))(?!\s*bool\b)")
GRAFANA_SUBSTITUTIONS = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "5m"}
_VARIABLE = re.compile(r"\$\{?[A-Za-z_]\w*\}?")
# Rule files on series of the blackbox and node exporters (probe_success, up{job="mlops-node"}):
# a Prometheus scraping only the given /metrics targets has none of them. promtool unit tests
# and the lab (role prometheus) check them.
# The skew gauges come from node_exporter's textfile collector too.
EXPORTER_RULE_FILES = frozenset({"platform_components_alerts.yml", "feature_skew_alerts.yml"})


@dataclass(frozen=True)
class Query:
    source: str  # "<file>: <panel or alert>"
    original: str
    expr: str  # what is evaluated


def with_bool_comparisons(expr: str) -> str:
    """Add ``bool`` to comparison operators outside label matchers and strings."""
    out, depth, quote = [], 0, None
    i = 0
    while i < len(expr):
        ch = expr[i]
        if quote:
            out.append(ch)
            if ch == "\\":
                out.append(expr[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
            out.append(ch)
        elif ch in "{}":
            depth += 1 if ch == "{" else -1
            out.append(ch)
        elif depth == 0 and (match := _COMPARISON.match(expr, i)):
            out.append(f"{match.group(1)} bool")
            i = match.end()
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def grafana_expr(expr: str) -> str:
    for key, value in GRAFANA_SUBSTITUTIONS.items():
        expr = expr.replace(key, value)
    return _VARIABLE.sub(".*", expr)


def collect_queries(root: Path = Path(".")) -> list[Query]:
    queries = []
    for rules_file in sorted((root / ALERTS_DIR).glob("*.yml")):
        if rules_file.name in EXPORTER_RULE_FILES:
            continue
        for rule in load_rules(rules_file):
            source = f"{rules_file.name}: {rule.name}"
            queries.append(Query(source, rule.expr, with_bool_comparisons(rule.expr)))
    for dashboard_file in sorted((root / GRAFANA_DIR).glob("*.json")):
        dashboard = json.loads(dashboard_file.read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                source = f"{dashboard_file.name}: {panel['title']} [{target['refId']}]"
                queries.append(Query(source, target["expr"], grafana_expr(target["expr"])))
        for variable in dashboard["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", variable["definition"])
            if match:  # label_values(<selector>, label) is a Grafana function, not PromQL
                source = f"{dashboard_file.name}: variable ${variable['name']}"
                queries.append(Query(source, variable["definition"], grafana_expr(match[1])))
    return queries


@contextmanager
def running_prometheus(targets: dict[str, str], scrape_interval: str = "1s"):
    """A throwaway Prometheus scraping ``{job: "host:port"}``; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="mlops-prometheus-") as tmp:
        config = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
            "rule_files": [str(p.resolve()) for p in sorted(ALERTS_DIR.glob("*.yml"))],
            "scrape_configs": [
                {"job_name": job, "honor_labels": True, "static_configs": [{"targets": [t]}]}
                for job, t in targets.items()
            ],
        }
        config_path = Path(tmp) / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config))
        port = free_port()
        log_path = Path(tmp) / "prometheus.log"
        url = f"http://127.0.0.1:{port}"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [find_binary("prometheus"), f"--config.file={config_path}",
                 f"--storage.tsdb.path={Path(tmp) / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
            )  # fmt: skip
            try:
                wait_until_ready(f"{url}/-/ready", process, log_path, timeout_s=30)
                yield url
            finally:
                process.terminate()
                process.wait(timeout=30)


def _wait(condition, timeout_s: float, error: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(error)


def instant_query(url: str, expr: str) -> dict:
    response = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    if body.get("status") != "success":
        raise ValueError(f"{body.get('errorType')}: {body.get('error')}")
    return body["data"]


def wait_for_scrapes(
    url: str, jobs: list[str], min_samples: int = 5, timeout_s: float = 60
) -> None:
    """Wait until every job is up with enough samples for ``rate(...[1m])`` to answer."""

    def ready() -> bool:
        for job in jobs:
            data = instant_query(url, f'count_over_time(up{{job="{job}"}}[1m])')
            up = instant_query(url, f'up{{job="{job}"}}')["result"]
            if not data["result"] or float(data["result"][0]["value"][1]) < min_samples:
                return False
            if not up or up[0]["value"][1] != "1":
                return False
        return True

    _wait(ready, timeout_s, f"targets {jobs} not up with {min_samples} scrapes in {timeout_s}s")


def evaluate_all(url: str, queries: list[Query]) -> dict[str, str]:
    """Problems by query source: parse errors and queries that return no series."""
    problems = {}
    for query in queries:
        try:
            data = instant_query(url, query.expr)
        except ValueError as error:
            problems[query.source] = f"does not parse/evaluate: {error} in {query.expr}"
            continue
        if not data["result"]:
            problems[query.source] = f"returned no series: {query.expr}"
    return problems


def check_against_targets(targets: dict[str, str]) -> dict[str, str]:
    """Start Prometheus scraping ``{job: host:port}`` (each serving /metrics) and evaluate every
    dashboard and alert query; returns the problems (empty when all is well).

    Jobs should be named ``mlops-*`` (the alert rules select ``up{job=~"mlops-.*"}``); the
    drift gauges come from the drift job's exporter, so include it next to the services."""
    with running_prometheus(targets) as url:
        wait_for_scrapes(url, list(targets))
        return evaluate_all(url, collect_queries())
