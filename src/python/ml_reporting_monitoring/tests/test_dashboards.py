import json
import logging
from io import StringIO
from pathlib import Path

import yaml

from ml_reporting_monitoring.dashboards_as_code import (
    GRAFANA_DASHBOARDS,
    GRAFANA_DIR,
    KIBANA_FILE,
    LOG_FIELDS,
    kibana_saved_objects,
    render_all,
)
from ml_reporting_monitoring.promql_check import grafana_expr, with_bool_comparisons
from mlops_common.json_logging import JsonFormatter

PROVISIONING = Path("dashboards/grafana/provisioning")


def test_committed_files_match_the_generator(tmp_path) -> None:
    for path in render_all(tmp_path):
        committed = Path(path.relative_to(tmp_path))
        assert (
            committed.read_text() == path.read_text()
        ), f"{committed} is stale: run `monitoring-cli render-dashboards`"


def test_grafana_dashboards_are_valid_and_use_the_provisioned_datasource() -> None:
    datasources = yaml.safe_load((PROVISIONING / "datasources.yml").read_text())["datasources"]
    uids = {d["uid"] for d in datasources}
    providers = yaml.safe_load((PROVISIONING / "dashboards.yml").read_text())["providers"]
    assert providers[0]["type"] == "file" and providers[0]["options"]["path"]
    seen_uids = set()
    for name in GRAFANA_DASHBOARDS:
        dashboard = json.loads((GRAFANA_DIR / f"{name}.json").read_text())
        assert dashboard["uid"] not in seen_uids
        seen_uids.add(dashboard["uid"])
        variables = {v["name"] for v in dashboard["templating"]["list"]}
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)) >= 5
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids
            assert (
                panel["gridPos"]["x"] >= 0 and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
            )
            for target in panel["targets"]:
                used = {
                    v.strip("${}") for v in __import__("re").findall(r"\$\{?\w+\}?", target["expr"])
                }
                assert used - {"__rate_interval"} <= variables, (name, panel["title"])


def test_kibana_ndjson_objects_reference_each_other_and_the_log_fields() -> None:
    lines = KIBANA_FILE.read_text().splitlines()
    objects = [json.loads(line) for line in lines]
    assert objects == json.loads(json.dumps(kibana_saved_objects()))
    ids = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids
        for key in ("visState", "panelsJSON"):
            if key in obj["attributes"]:
                json.loads(obj["attributes"][key])
    dashboard = next(o for o in objects if o["type"] == "dashboard")
    assert len(json.loads(dashboard["attributes"]["panelsJSON"])) == 3
    text = KIBANA_FILE.read_text()
    for field in ("request_id", "route", "status", "latency"):
        assert f'"{LOG_FIELDS[field]}"' in text or f'\\"{LOG_FIELDS[field]}\\"' in text


def test_log_fields_match_what_the_json_formatter_writes() -> None:
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("mlops.test.kibana")
    logger.addHandler(handler)
    logger.warning("request", extra={"request_id": "r1", "route": "/predict", "status": 500,
                                     "latency_ms": 12.5, "service": "fraud"})  # fmt: skip
    logger.removeHandler(handler)
    record = json.loads(stream.getvalue())
    assert set(LOG_FIELDS.values()) <= set(record)


def test_query_rewrites() -> None:
    assert with_bool_comparisons('up{job=~"a.*",x!="1"} == 0') == 'up{job=~"a.*",x!="1"} == bool 0'
    assert with_bool_comparisons("a > 0.2 and b >= bool 1") == "a > bool 0.2 and b >= bool 1"
    assert grafana_expr('rate(x{model=~"$model"}[$__rate_interval])') == 'rate(x{model=~".*"}[1m])'
