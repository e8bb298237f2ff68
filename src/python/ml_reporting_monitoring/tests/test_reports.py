"""Reports against a real MLflow store (SQLite + local artifacts in a temp dir)."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from ml_reporting_monitoring.cli import main
from ml_reporting_monitoring.reports.mlflow_queries import (
    alias_history,
    model_versions,
    month_bounds,
    runs_between,
)
from ml_reporting_monitoring.reports.retraining_report import generate_monthly_retraining_report
from mlops_common.contracts.features import CHURN, FRAUD


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory):
    """Six fraud runs and three churn runs in Jan 2026, one in Dec 2025; three fraud versions
    with the champion moved v1 -> v2 -> v3 (promotion tags), v2 challenger-free history."""
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    fraud_exp = client.create_experiment("fraud_detection", artifact_location=str(root / "a1"))
    churn_exp = client.create_experiment("customer_churn", artifact_location=str(root / "a2"))
    rng = np.random.default_rng(0)
    fraud_runs = []
    for i, day in enumerate([-5, 2, 6, 10, 15, 20, 27]):
        start = datetime(2026, 1, 1, 3, tzinfo=UTC) + timedelta(days=day)
        run = client.create_run(
            fraud_exp, start_time=_ms(start), run_name=f"fraud-{i}",
            tags={"registered_model_name": FRAUD.registered_model_name},
        )  # fmt: skip
        rid = run.info.run_id
        client.log_metric(rid, "roc_auc", 0.90 + 0.01 * i + rng.normal(0, 0.002), _ms(start))
        client.log_metric(rid, "average_precision", 0.5 + 0.02 * i, _ms(start))
        client.log_param(rid, "n_estimators", 100 + 50 * i)
        client.set_terminated(rid, end_time=_ms(start + timedelta(minutes=3 + i)))
        fraud_runs.append(rid)
    for i, day in enumerate([3, 13, 23]):
        start = datetime(2026, 1, 1, 4, tzinfo=UTC) + timedelta(days=day)
        run = client.create_run(churn_exp, start_time=_ms(start), run_name=f"churn-{i}",
                                tags={"registered_model_name": CHURN.registered_model_name})  # fmt: skip
        client.log_metric(run.info.run_id, "roc_auc", 0.8 + 0.005 * i, _ms(start))
        client.set_terminated(run.info.run_id, end_time=_ms(start + timedelta(minutes=2)))
    name = FRAUD.registered_model_name
    client.create_registered_model(name)
    for n, rid in enumerate(fraud_runs[1:4], start=1):
        source = root / "models" / f"v{n}"
        source.mkdir(parents=True)
        client.create_model_version(name, source=str(source), run_id=rid)
        client.set_model_version_tag(
            name, str(n), "promotion.champion", f"2026-01-{5 * n:02d}T00:00:00+00:00"
        )
    client.set_registered_model_alias(name, FRAUD.champion_alias, "3")
    client.set_registered_model_alias(name, FRAUD.challenger_alias, "2")
    return uri, client


def test_queries_read_runs_versions_and_champion_history(mlflow_store) -> None:
    _, client = mlflow_store
    runs = runs_between(client, *month_bounds("2026-01"))
    assert len(runs) == 9  # the December run is outside the month
    fraud = runs[runs["model"] == FRAUD.registered_model_name]
    assert list(fraud["run_name"]) == [f"fraud-{i}" for i in range(1, 7)]
    assert fraud["metric.roc_auc"].is_monotonic_increasing
    versions = model_versions(client, FRAUD.registered_model_name)
    assert list(versions["version"]) == [1, 2, 3]
    assert list(versions["aliases"]) == ["", "challenger", "champion"]
    history = alias_history(versions)
    assert list(history["version"]) == [1, 2, 3]
    assert list(history["current"]) == [False, False, True]
    assert history["until"].iloc[0] == pd.Timestamp("2026-01-10", tz="UTC")


def test_monthly_report_renders_html_with_plots(mlflow_store, tmp_path, capsys) -> None:
    _, client = mlflow_store
    path = generate_monthly_retraining_report(
        client, "2026-01", [FRAUD.registered_model_name, CHURN.registered_model_name],
        tmp_path / "report.html",
    )  # fmt: skip
    html = path.read_text()
    assert "Model retraining report 2026-01" in html and "9 training runs" in html
    assert "fraud-6" in html and "fraud-0" not in html
    assert "Champion history" in html
    assert "3 training runs, no versions registered." in html  # churn: runs, no versions
    # Each run faced the champion of its day: fraud-1 (Jan 3) none yet, fraud-2 (Jan 7) v1.
    fraud = html.split("Model fraud_detection_xgboost")[1]
    assert fraud.index("fraud-1") < fraud.index("none yet") < fraud.index("fraud-2")
    assert fraud.count("<td>v1</td>") >= 1 and fraud.count("<td>v3</td>") >= 1
    # one plot: fraud's runs against the champion's roc_auc (churn has no registered model)
    assert html.count("data:image/png;base64,") == 1
    assert "[retraining-report models] finished" in capsys.readouterr().err


def test_drift_reference_window_comes_from_the_training_run(mlflow_store, tmp_path) -> None:
    """The trainer logs its training set with the run; the drift check reads it from there."""
    from ml_reporting_monitoring.testing.synthetic_data import fraud_frame

    uri, client = mlflow_store
    experiment = client.get_experiment_by_name("fraud_detection").experiment_id
    run_id = client.create_run(experiment, run_name="training-set").info.run_id
    fraud_frame(5_000, seed=1).to_csv(tmp_path / "training_set.csv", index=False)
    client.log_artifact(run_id, str(tmp_path / "training_set.csv"), "data")
    client.set_terminated(run_id)
    fraud_frame(2_000, seed=2, shift={"country": 0.3}).to_csv(tmp_path / "cur.csv", index=False)
    code = main(["drift", "--reference", f"runs:/{run_id}/data/training_set.csv",
                 "--tracking-uri", uri, "--current", str(tmp_path / "cur.csv"),
                 "--features", "amount,country,age", "--output-dir", str(tmp_path / "out")])  # fmt: skip
    assert code == 3
    summary = (tmp_path / "out" / "drift_fraud_detection_xgboost.json").read_text()
    assert '"drifted_features": [\n    "country"\n  ]' in summary


def test_cli_retraining_and_segment_reports(mlflow_store, tmp_path, capsys) -> None:
    uri, _ = mlflow_store
    code = main(["retraining-report", "--month", "2026-01", "--tracking-uri", uri,
                 "--output-dir", str(tmp_path)])  # fmt: skip
    assert code == 0
    # stdout is exactly the JSON result, naming what was written (the monthly DAG reads it)
    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "report": str(tmp_path / "retraining_report_2026-01.html"),
        "period": "2026-01",
    }
    assert (tmp_path / "retraining_report_2026-01.html").stat().st_size > 10_000
    rng = np.random.default_rng(3)
    n = 4_000
    scored = pd.DataFrame(
        {"plan": rng.choice(["basic", "premium"], n), "churned": rng.integers(0, 2, n)}
    )
    scored["score"] = np.clip(0.3 + 0.4 * scored["churned"] + rng.normal(0, 0.2, n), 0, 1)
    scored.loc[scored["plan"] == "premium", "score"] += 0.3
    scored.to_csv(tmp_path / "scored.csv", index=False)
    code = main(["segment-report", "--data", str(tmp_path / "scored.csv"), "--segments", "plan",
                 "--label", "churned", "--output-dir", str(tmp_path)])  # fmt: skip
    assert code == 3
    printed = json.loads(capsys.readouterr().out)
    assert printed["flagged"] is True and printed["report"] == str(tmp_path / "segment_report.html")
    html = (tmp_path / "segment_report.html").read_text()
    assert "premium" in html and 'class="flagged"' in html and "data:image/png" in html
