"""The retraining report against a real MLflow store: the period's runs against the champion,
each promotion or refusal with its reason, and the drift alerts that preceded retraining."""

import json
import time
from datetime import UTC, datetime, timedelta

import matplotlib.dates as mdates
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from ml_reporting_monitoring.cli import main
from ml_reporting_monitoring.reports.mlflow_queries import (
    alias_history,
    last_days_bounds,
    model_versions,
)
from ml_reporting_monitoring.reports.retraining_events import promotion_decisions
from ml_reporting_monitoring.reports.retraining_report import _comparison_plot
from ml_reporting_monitoring.reports.shadow_evidence import shadow_evidence_table
from mlops_common.contracts.features import FRAUD

NAME = FRAUD.registered_model_name
NOW = datetime.now(UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Fraud runs 40, 20, 10 and 2 days ago (the first outside a 30-day period); their
    versions v1 (champion), v2 (refused, reason in the training DAG's log) and v3 (refused,
    no log record); a drift alert 2.5 days ago that the last run followed."""
    root = tmp_path_factory.mktemp("retraining")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("fraud", artifact_location=str(root / "artifacts"))
    client.create_registered_model(NAME)
    notifications = root / "notifications" / "training.jsonl"
    notifications.parent.mkdir()
    for i, (days, auc) in enumerate([(40, 0.90), (20, 0.93), (10, 0.925), (2, 0.9305)]):
        start = NOW - timedelta(days=days)
        run = client.create_run(experiment, start_time=_ms(start), run_name=f"fraud-{i}",
                                tags={"registered_model_name": NAME})  # fmt: skip
        client.log_metric(run.info.run_id, "roc_auc", auc, _ms(start))
        client.set_terminated(run.info.run_id, end_time=_ms(start + timedelta(minutes=4)))
        if i == 0:
            continue
        source = root / "models" / f"v{i}"
        source.mkdir(parents=True)
        version = client.create_model_version(NAME, source=str(source), run_id=run.info.run_id)
        created = pd.to_datetime(version.creation_timestamp, unit="ms", utc=True)
        if i == 1:
            client.set_registered_model_alias(NAME, "champion", "1")
        if i == 2:  # what the training DAG's notify task appends after the gate
            record = {"at": (created + timedelta(milliseconds=5)).isoformat(), "model": NAME,
                      "promoted": False, "reason": "challenger roc_auc 0.9241 < champion 0.9302 "
                      "+ margin 0.001", "reload": "champion unchanged; no reload"}  # fmt: skip
            notifications.write_text(json.dumps(record) + "\n")
        time.sleep(0.05)  # versions registered apart, as the DAG runs them
    client.set_registered_model_alias(NAME, "challenger", "3")
    drift_dir = root / "reports" / "drift" / NAME / "dt=x"
    drift_dir.mkdir(parents=True)
    summary = {"model": NAME, "alert": True, "generated_at": (NOW - timedelta(days=2.5)).isoformat(),
               "features": [{"feature": "amount", "status": "drift",
                             "reason": "wasserstein_normed 0.38 >= 0.1"},
                            {"feature": "age", "status": "ok", "reason": "below"}],
               "prediction_drifted": False}  # fmt: skip
    (drift_dir / f"drift_{NAME}.json").write_text(json.dumps(summary))
    quiet = dict(summary, alert=False, generated_at=(NOW - timedelta(days=5)).isoformat())
    (drift_dir.parent / f"drift_{NAME}.json").write_text(json.dumps(quiet))
    return uri, client, root, notifications


def test_decisions_come_from_the_log_or_are_inferred_from_the_registry(store) -> None:
    _, client, _, notifications = store
    versions = model_versions(client, NAME)
    history = alias_history(versions, "champion")
    decisions = promotion_decisions(
        NAME, versions, history, {1: 0.93, 2: 0.925, 3: 0.9305}, *last_days_bounds(30),
        notifications=notifications,
    )  # fmt: skip
    assert list(decisions["version"]) == [1, 2, 3]
    assert list(decisions["decision"]) == ["promoted", "refused", "refused"]
    assert list(decisions["source"]) == ["registry", "training DAG", "registry"]
    assert decisions["reason"].iloc[0] == "no champion before it"
    assert decisions["reason"].iloc[1].startswith("challenger roc_auc 0.9241 < champion")
    assert decisions["reason"].iloc[2].startswith("logged roc_auc 0.9305 < champion v1 0.9300")


def test_default_period_covers_what_was_just_trained(store, tmp_path) -> None:
    uri, _, root, notifications = store
    code = main(["retraining-report", "--tracking-uri", uri, "--models", NAME,
                 "--output-dir", str(tmp_path), "--drift-dir", str(root / "reports"),
                 "--notifications", str(notifications)])  # fmt: skip
    assert code == 0
    html = (tmp_path / "retraining_report_last30d.html").read_text()
    assert "3 training runs; 3 versions registered, 1 promoted, 2 refused; 1 drift alerts" in html
    assert "fraud-3" in html and "fraud-0" not in html  # 40 days ago is outside the period
    assert 'class="refused"' in html and "champion 0.9302" in html
    # the alert, what it flagged and the retraining run that followed it
    alerts = html.split("<h2>Drift alerts</h2>")[1].split("<h2>")[0]
    assert "wasserstein_normed 0.38" in alerts and "<td>fraud-3</td>" in alerts
    assert html.count("data:image/png;base64,") == 1


def test_time_axes_span_the_period_not_years(store) -> None:
    _, client, _, _ = store
    start, end = last_days_bounds(30)
    versions = model_versions(client, NAME)
    history = alias_history(versions, "champion")
    table = pd.DataFrame({"started": [NOW - timedelta(days=2)], "roc_auc": [0.93],
                          "decision": ["refused"]})  # fmt: skip
    figure = _comparison_plot(table, history, {1: {"roc_auc": 0.93}}, "roc_auc", start, end)
    low, high = (mdates.num2date(x) for x in figure.axes[0].get_xlim())
    assert abs((low - start).total_seconds()) < 1 and abs((high - end).total_seconds()) < 1


def test_the_gates_own_record_names_the_window_it_compared_on() -> None:
    """A version with the gate's ``promotion_*`` tags is reported with that reason + window."""
    created = pd.Timestamp(NOW - timedelta(days=1))
    versions = pd.DataFrame(
        [
            {
                "version": 4,
                "run_id": "r4",
                "created": created,
                "aliases": "",
                "promotions": {},
                "gate": {
                    "promoted": "false",
                    "reason": "challenger roc_auc 0.9601 < champion 0.9650 + margin 0.001",
                    "window": "rows after 2026-11-24T23:44:33+00:00",
                    "rows": "1420",
                    "positives": "33",
                    "decided_at": (created + timedelta(minutes=2)).isoformat(),
                },
            }
        ]
    )
    history = pd.DataFrame(columns=["version", "promoted_at"])
    decisions = promotion_decisions(
        NAME, versions, history, {}, NOW - timedelta(days=30), NOW + timedelta(days=1)
    )
    (row,) = decisions.to_dict("records")
    assert row["decision"] == "refused" and row["source"] == "promotion gate"
    assert "compared on rows after 2026-11-24T23:44:33+00:00 (1420 rows, 33 positive)" in (
        row["reason"]
    )


def test_history_reads_the_promotion_tags_from_the_registry(tmp_path) -> None:
    """The tags the promotion step writes on a version (names as in the trainer's
    ``promotion._tag_decision``), read back from a real store: when it became champion,
    the champion it replaced, the metric, scores and margin in the reason."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(NAME)
    for i in (1, 2):
        (tmp_path / f"v{i}").mkdir()
        client.create_model_version(NAME, source=str(tmp_path / f"v{i}"))
    promoted_at = (NOW - timedelta(hours=3)).replace(microsecond=0).isoformat()
    reason = "challenger roc_auc 0.9612 >= champion 0.9540 + margin 0.001 on 812 rows"
    tags = {"promotion_promoted": "true", "promotion_reason": reason,
            "promotion_window": "rows after 2026-11-24T23:44:33+00:00", "promotion_rows": "812",
            "promotion_positives": "20", "promotion_previous_champion": "1",
            "promotion_margin": "0.001", "promotion_metric": "roc_auc",
            "promotion_decided_at": promoted_at, "promotion.champion": promoted_at}  # fmt: skip
    for key, value in tags.items():
        client.set_model_version_tag(NAME, "2", key, value)
    client.set_registered_model_alias(NAME, "champion", "2")

    versions = model_versions(client, NAME)
    history = alias_history(versions, "champion")
    assert history["version"].tolist() == [2]
    assert history["promoted_at"].iloc[0] == pd.Timestamp(promoted_at)
    decisions = promotion_decisions(
        NAME, versions, history, {}, NOW - timedelta(days=1), NOW + timedelta(days=1)
    )
    row = decisions[decisions["version"] == 2].iloc[0]
    assert row["decision"] == "promoted" and row["source"] == "promotion gate"
    assert row["at"] == pd.Timestamp(promoted_at)
    assert reason in row["reason"] and "champion before: v1" in row["reason"]


def shadow_tags(decided_at: str) -> dict[str, str]:
    """What ``trainer promote-challenger`` writes on a version it promoted (shadow_promotion.py)."""
    return {"promotion_promoted": "true", "promotion_evidence": "shadow", "promotion_policy": "shadow",
            "promotion_reason": "shadow evidence: challenger v2 vs champion v1: 1200 requests,"
            " agreement 0.9600 >= 0.95, roc_auc challenger 0.9700 vs champion 0.9650 on 300"
            " labelled rows (allowed drop 0.0)",
            "promotion_window": "rows after 2026-11-24T23:44:33+00:00",
            "promotion_previous_champion": "1", "promotion_decided_at": decided_at,
            "promotion.champion": decided_at, "promotion_shadow_verdict": "promote",
            "promotion_shadow_champion_version": "1", "promotion_shadow_requests": "1200",
            "promotion_shadow_errors": "3", "promotion_shadow_agreement": "0.96",
            "promotion_shadow_changed": '{"approve->review": 40, "review->approve": 8}',
            "promotion_shadow_labelled": "300", "promotion_shadow_positives": "12",
            "promotion_shadow_metric": "roc_auc", "promotion_shadow_champion_metric": "0.965",
            "promotion_shadow_challenger_metric": "0.97", "promotion_shadow_min_requests": "1000",
            "promotion_shadow_min_agreement": "0.95", "promotion_shadow_min_labelled": "200",
            "promotion_shadow_max_metric_drop": "0.0", "promotion_shadow_window_start": "2026-11-20",
            "promotion_shadow_window_end": "2026-11-27"}  # fmt: skip


def test_report_shows_the_shadow_evidence_behind_a_promotion(tmp_path) -> None:
    """v2 promoted on shadow evidence, v3 still waiting in shadow: the decisions say which
    evidence decided, the shadow table carries every figure and threshold from the tags."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("fraud", artifact_location=str(tmp_path / "artifacts"))
    client.create_registered_model(NAME)
    for i in (1, 2, 3):
        run = client.create_run(experiment, start_time=_ms(NOW - timedelta(days=4 - i)),
                                tags={"registered_model_name": NAME})  # fmt: skip
        client.log_metric(run.info.run_id, "roc_auc", 0.95 + i / 100)
        client.set_terminated(run.info.run_id)
        (tmp_path / f"v{i}").mkdir()
        client.create_model_version(NAME, source=str(tmp_path / f"v{i}"), run_id=run.info.run_id)
    decided_at = (NOW - timedelta(hours=5)).replace(microsecond=0).isoformat()
    for key, value in shadow_tags(decided_at).items():
        client.set_model_version_tag(NAME, "2", key, value)
    waiting = {"promotion_promoted": "false", "promotion_policy": "shadow",
               "promotion_reason": "challenger roc_auc 0.9800 >= champion 0.9700 + margin 0.001",
               "promotion_decided_at": (NOW - timedelta(hours=1)).isoformat(),
               "promotion_shadow_verdict": "wait", "promotion_shadow_requests": "150",
               "promotion_shadow_agreement": "0.99", "promotion_shadow_champion_version": "2",
               "promotion_shadow_reason": "challenger v3 vs champion v2: 150 shadowed requests"
               " < 1000 (TRAINING_SHADOW_MIN_REQUESTS); keep it in shadow"}  # fmt: skip
    for key, value in waiting.items():
        client.set_model_version_tag(NAME, "3", key, value)
    client.set_registered_model_alias(NAME, "champion", "2")
    client.set_registered_model_alias(NAME, "challenger", "3")

    versions = model_versions(client, NAME)
    decisions = promotion_decisions(NAME, versions, alias_history(versions, "champion"), {},
                                    NOW - timedelta(days=7), NOW + timedelta(days=1))  # fmt: skip
    by_version = decisions.set_index("version")
    assert by_version.loc[2, "decision"] == "promoted"
    assert by_version.loc[2, "source"] == "shadow evidence"
    assert "agreement 0.9600" in by_version.loc[2, "reason"]
    assert "champion before: v1" in by_version.loc[2, "reason"]
    assert by_version.loc[3, "decision"] == "in shadow"
    assert "150 shadowed requests < 1000" in by_version.loc[3, "reason"]

    shadow = shadow_evidence_table(versions).set_index("version")
    assert list(shadow.index) == [3, 2]
    promoted = shadow.loc[2]
    assert promoted["verdict"] == "promoted (vs v1)" and promoted["requests"] == "1200"
    assert promoted["agreement"] == "0.9600" and promoted["errors"] == "3"
    assert promoted["changed decisions"] == "approve -> review: 40, review -> approve: 8"
    assert promoted["labelled (positive)"] == "300 (12)"
    assert promoted["metric champion -> challenger"] == "roc_auc 0.9650 -> 0.9700"
    assert "agreement >= 0.95" in promoted["thresholds"]
    assert shadow.loc[3, "verdict"] == "wait (vs v2)"

    assert main(["retraining-report", "--tracking-uri", uri, "--models", NAME, "--days", "7",
                 "--output-dir", str(tmp_path), "--drift-dir", str(tmp_path / "none"),
                 "--notifications", str(tmp_path / "none.jsonl")]) == 0  # fmt: skip
    html = (tmp_path / "retraining_report_last7d.html").read_text()
    assert "Shadow evidence" in html and "approve -&gt; review: 40" in html
    assert "shadow evidence" in html and "in shadow" in html
    assert "3 versions registered, 1 promoted, 1 in shadow, 1 refused" in html
