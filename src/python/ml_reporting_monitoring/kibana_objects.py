"""Kibana saved objects for the services' JSON request logs: an index pattern, an error search,
two visualizations and the dashboard that holds them (``monitoring-cli render-dashboards``
writes them next to the Grafana dashboards of :mod:`.dashboards_as_code`)."""

from __future__ import annotations

import json
from pathlib import Path

KIBANA_FILE = Path("dashboards/kibana/api_error_and_latency_analysis.ndjson")

# JSON log fields the services write per request (mlops_common.json_logging + extra=...).
LOG_INDEX_PATTERN = "mlops-service-logs-*"
LOG_FIELDS = {"time": "ts", "request_id": "request_id", "route": "route", "status": "status",
              "latency": "latency_ms", "service": "service", "level": "level",
              "message": "message"}  # fmt: skip


def kibana_saved_objects() -> list[dict]:
    """Index pattern, error search, two visualizations and the dashboard that holds them."""
    f = LOG_FIELDS
    index_ref = [{"type": "index-pattern", "id": "mlops-service-logs",
                  "name": "kibanaSavedObjectMeta.searchSourceJSON.index"}]  # fmt: skip

    def source(query: str) -> dict:
        return {"kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
            {"query": {"language": "kuery", "query": query}, "filter": [],
             "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"})}}  # fmt: skip

    def vis(vid: str, title: str, query: str, aggs: list[dict], vtype: str) -> dict:
        state = {"title": title, "type": vtype, "aggs": aggs, "params": {"addLegend": True}}
        return {"type": "visualization", "id": vid, "references": index_ref,
                "attributes": {"title": title, "visState": json.dumps(state), "uiStateJSON": "{}",
                               "description": "", "version": 1, **source(query)}}  # fmt: skip

    errors = f"{f['status']} >= 500"
    terms = {"id": "2", "enabled": True, "type": "terms", "schema": "segment",
             "params": {"field": f["route"], "size": 20, "order": "desc", "orderBy": "1"}}  # fmt: skip
    objects = [
        {"type": "index-pattern", "id": "mlops-service-logs", "references": [],
         "attributes": {"title": LOG_INDEX_PATTERN, "timeFieldName": f["time"]}},
        {"type": "search", "id": "mlops-api-errors", "references": index_ref,
         "attributes": {"title": "API errors (5xx)", "description": "",
                        "columns": [f["request_id"], f["service"], f["route"], f["status"],
                                    f["latency"], f["message"]],
                        "sort": [[f["time"], "desc"]], **source(errors)}},
        vis("mlops-errors-by-route", "5xx errors by route", errors,
            [{"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}, terms],
            "histogram"),
        vis("mlops-latency-by-route", "Latency p95 / p99 by route (ms)", f"{f['route']} : *",
            [{"id": "1", "enabled": True, "type": "percentiles", "schema": "metric",
              "params": {"field": f["latency"], "percents": [95, 99]}}, terms],
            "histogram"),
    ]  # fmt: skip
    panels = [
        {"panelIndex": str(i), "gridData": {"x": 0, "y": 15 * i, "w": 48, "h": 15, "i": str(i)},
         "panelRefName": f"panel_{i}", "embeddableConfig": {}, "version": "8.11.0"}
        for i in range(3)
    ]  # fmt: skip
    refs = [{"type": o["type"], "id": o["id"], "name": f"panel_{i}"}
            for i, o in enumerate(objects[1:])]  # fmt: skip
    objects.append(
        {"type": "dashboard", "id": "mlops-api-error-latency", "references": refs,
         "attributes": {"title": "API error and latency analysis", "description":
                        "Errors and latency per route from the services' JSON request logs",
                        "panelsJSON": json.dumps(panels), "timeRestore": False,
                        "optionsJSON": json.dumps({"useMargins": True}),
                        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                            {"query": {"language": "kuery", "query": ""}, "filter": []})}}}
    )  # fmt: skip
    return objects
