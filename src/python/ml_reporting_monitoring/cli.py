"""monitoring-cli: the entry point Airflow runs as a subprocess (``pex_binary`` monitoring-cli).

Keeps the CLI contract (mlops_common.cli_contract): progress on stderr, one JSON result on
stdout with the paths it wrote. Exit codes carry the outcome so a DAG can branch on them:
0 = ran, nothing to flag; 3 = ran and flagged drift / bias (e.g. trigger retraining);
1 = failed (one line saying what to fix, e.g. a missing input file); 2 = bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ml_reporting_monitoring.config import MonitoringSettings
from mlops_common.cli_contract import EXIT_FLAGGED, UserError, run_cli

FLAGGED_EXIT_CODE = EXIT_FLAGGED
Result = dict[str, Any]
# Bad inputs: a missing file, an unsupported format, features absent from the data, settings.
USER_ERRORS = (FileNotFoundError, ValueError, KeyError, ValidationError)


def _drift(args: argparse.Namespace, settings: MonitoringSettings) -> Result:
    from ml_reporting_monitoring.data_io import load_frame
    from ml_reporting_monitoring.drift.metrics_export import export_drift_metrics
    from ml_reporting_monitoring.drift.summary import calculate_drift
    from ml_reporting_monitoring.reports.drift_report import write_drift_report

    reference = load_frame(args.reference, args.tracking_uri)
    current = load_frame(args.current, args.tracking_uri)
    summary = calculate_drift(
        reference,
        current,
        model=args.model,
        thresholds=settings.drift,
        features=args.features.split(",") if args.features else None,
        score=args.score,
        label=args.label,
        timestamp=args.timestamp,
        baseline_metric=args.baseline_metric,
    )
    out = Path(args.output_dir or settings.output_dir)
    json_path = summary.write_json(out / f"drift_{args.model}.json")
    html_path = write_drift_report(summary, reference, current, out / f"drift_{args.model}.html")
    export_drift_metrics(
        [summary],
        textfile=Path(args.textfile) if args.textfile else out / f"drift_{args.model}.prom",
        pushgateway=settings.pushgateway_url,
    )
    return {
        "model": args.model,
        "summary": str(json_path),
        "report": str(html_path),
        "drifted_features": list(summary.drifted_features),
        "flagged": bool(summary.alert),
    }


def _segment_report(args: argparse.Namespace, settings: MonitoringSettings) -> Result:
    from ml_reporting_monitoring.bias.analysis import age_band
    from ml_reporting_monitoring.data_io import load_frame
    from ml_reporting_monitoring.reports.segment_report import segment_report_from_frame

    frame = load_frame(args.data)
    segments = args.segments.split(",")
    if "age_band" in segments and "age_band" not in frame.columns and "age" in frame.columns:
        frame["age_band"] = age_band(frame["age"])
    out = Path(args.output_dir or settings.output_dir)
    report, path = segment_report_from_frame(
        frame, segments, out / "segment_report.html", score=args.score, label=args.label,
        threshold=args.threshold, thresholds=settings.bias,
    )  # fmt: skip
    json_path = out / "segment_report.json"
    json_path.write_text(json.dumps(report.to_dict(), indent=2, default=str))
    return {
        "report": str(path),
        "summary": str(json_path),
        "flagged_segments": sorted(report.flagged_segments()),
        "flagged": not report.flagged.empty,
    }


def _retraining_report(args: argparse.Namespace, settings: MonitoringSettings) -> Result:
    from mlflow.tracking import MlflowClient

    from ml_reporting_monitoring.reports.mlflow_queries import last_days_bounds, month_bounds
    from ml_reporting_monitoring.reports.retraining_report import generate_retraining_report
    from mlops_common.contracts.features import MODEL_CONTRACTS
    from mlops_common.settings import PlatformSettings

    platform = PlatformSettings()
    uri = args.tracking_uri or platform.resolved_mlflow_tracking_uri()
    if args.month:  # a calendar month, as the monthly DAG asks for the month that just ended
        (start, end), name = month_bounds(args.month), args.month
        title = f"Model retraining report {args.month}"
    else:  # ad hoc (quickstart): what was just trained, not last month's (empty) calendar
        start, end = last_days_bounds(args.days)
        name, title = f"last{args.days}d", None
    models = (
        args.models.split(",")
        if args.models
        else [c.registered_model_name for c in MODEL_CONTRACTS.values()]
    )
    out = Path(args.output_dir or settings.output_dir)
    path = generate_retraining_report(
        MlflowClient(tracking_uri=uri, registry_uri=uri), start, end, models,
        out / f"retraining_report_{name}.html", title=title,
        promotion_metric=args.promotion_metric, promotion_margin=args.promotion_margin,
        notifications=Path(args.notifications or platform.home / "notifications" / "training.jsonl"),
        reports_dir=Path(args.drift_dir or platform.home / "reports"),
    )  # fmt: skip
    return {"report": str(path), "period": name}


def _check_promql(args: argparse.Namespace, settings: MonitoringSettings) -> Result:
    from ml_reporting_monitoring.promql_check import check_against_targets

    targets = dict(t.split("=", 1) for t in args.target)
    problems = check_against_targets(targets)
    if problems:
        listed = "; ".join(f"{source}: {problem}" for source, problem in problems.items())
        raise UserError(f"{len(problems)} query problem(s): {listed}")
    return {"problems": 0}


def _render_dashboards(args: argparse.Namespace, settings: MonitoringSettings) -> Result:
    from ml_reporting_monitoring.dashboards_as_code import render_all

    return {"wrote": [str(path) for path in render_all(Path(args.root))]}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monitoring-cli", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    drift = sub.add_parser("drift", help="data, prediction and concept drift of one model")
    drift.add_argument("--reference", required=True, help="CSV/Parquet path or runs:/ URI")
    drift.add_argument("--current", required=True, help="CSV/Parquet path or runs:/ URI")
    drift.add_argument("--model", default="fraud_detection_xgboost")
    drift.add_argument("--features", help="comma-separated; default: all shared columns")
    drift.add_argument("--score", help="score column (prediction and concept drift)")
    drift.add_argument("--label", help="label column (concept drift)")
    drift.add_argument("--timestamp", help="timestamp column (concept drift windows)")
    drift.add_argument("--baseline-metric", type=float, help="training-time metric value")
    drift.add_argument("--output-dir", help="default: MONITORING_OUTPUT_DIR")
    drift.add_argument("--textfile", help="Prometheus textfile path for the drift gauges")
    drift.add_argument("--tracking-uri", help="MLflow URI for runs:/ references")
    drift.set_defaults(handler=_drift)

    segment = sub.add_parser("segment-report", help="bias / segment analysis of scored data")
    segment.add_argument("--data", required=True, help="scored CSV/Parquet or runs:/ URI")
    segment.add_argument("--segments", required=True, help="comma-separated segment columns")
    segment.add_argument("--score", default="score")
    segment.add_argument("--label", default="label")
    segment.add_argument("--threshold", type=float, default=0.5, help="decision threshold")
    segment.add_argument("--output-dir", help="default: MONITORING_OUTPUT_DIR")
    segment.set_defaults(handler=_segment_report)

    retrain = sub.add_parser("retraining-report", help="retraining report from MLflow")
    retrain.add_argument("--month", help="YYYY-MM (calendar month); default: the last --days")
    retrain.add_argument("--days", type=int, default=30, help="period without --month")
    retrain.add_argument("--drift-dir", help="drift summaries (drift_*.json) to read alerts "
                         "from; default: $MLOPS_HOME/reports")  # fmt: skip
    retrain.add_argument("--notifications", help="training DAG decision log; default: "
                         "$MLOPS_HOME/notifications/training.jsonl")  # fmt: skip
    retrain.add_argument("--promotion-metric", default="roc_auc",
                         help="the trainer's promotion metric (explains refusals)")  # fmt: skip
    retrain.add_argument("--promotion-margin", type=float, default=0.001,
                         help="the trainer's promotion margin")  # fmt: skip
    retrain.add_argument("--models", help="registered model names; default: all contracts")
    retrain.add_argument("--tracking-uri", help="default: MLOPS_MLFLOW_TRACKING_URI / profile")
    retrain.add_argument("--output-dir", help="default: MONITORING_OUTPUT_DIR")
    retrain.set_defaults(handler=_retraining_report)

    promql = sub.add_parser(
        "check-promql", help="evaluate every dashboard/alert query on a throwaway Prometheus"
    )
    promql.add_argument("--target", action="append", required=True,
                        help="job=host:port serving /metrics, e.g. "
                        "mlops-fraud-service=127.0.0.1:8000 (repeatable)")  # fmt: skip
    promql.set_defaults(handler=_check_promql)

    render = sub.add_parser("render-dashboards", help="regenerate dashboards/ JSON and NDJSON")
    render.add_argument("--root", default=".", help="repository root")
    render.set_defaults(handler=_render_dashboards)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        build_parser(), lambda args: args.handler(args, MonitoringSettings()), argv,
        user_errors=USER_ERRORS,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
