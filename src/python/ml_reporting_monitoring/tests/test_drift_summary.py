import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ml_reporting_monitoring.cli import FLAGGED_EXIT_CODE, main
from ml_reporting_monitoring.config import DriftThresholds, MonitoringSettings
from ml_reporting_monitoring.drift.metrics_export import export_drift_metrics
from ml_reporting_monitoring.drift.summary import calculate_drift
from ml_reporting_monitoring.reports.drift_report import write_drift_report
from ml_reporting_monitoring.testing.synthetic_data import fraud_frame
from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.metrics import FEATURE_DRIFT_PSI, PREDICTION_DRIFT_PSI

FEATURES = ["amount", "merchant_category", "country", "hour_of_day", "txn_count_24h",
            "account_age_days", "age"]  # fmt: skip
MODEL = FRAUD.registered_model_name


@pytest.fixture(scope="module")
def reference():
    return fraud_frame(20_000, seed=1)


def test_held_back_shifted_set_flags_exactly_the_shifted_features(reference) -> None:
    shifted = fraud_frame(5_000, seed=2, shift={"amount": 0.6, "country": 0.25})
    summary = calculate_drift(
        reference, shifted, model=MODEL, thresholds=DriftThresholds(), features=FEATURES,
        score="score",
    )  # fmt: skip
    assert set(summary.drifted_features) == {"amount", "country"}
    assert summary.prediction_drifted  # scores follow amount and country
    assert summary.alert


def test_unshifted_sample_raises_nothing(reference) -> None:
    same = fraud_frame(5_000, seed=3)
    summary = calculate_drift(
        reference, same, model=MODEL, thresholds=DriftThresholds(), features=FEATURES,
        score="score", label="is_fraud", timestamp="event_timestamp",
    )  # fmt: skip
    assert summary.drifted_features == []
    assert not summary.prediction_drifted
    assert not summary.concept_drifted
    assert not summary.alert


def test_thresholds_come_from_configuration(monkeypatch, reference) -> None:
    shifted = fraud_frame(5_000, seed=2, shift={"amount": 0.6, "country": 0.25})
    monkeypatch.setenv("MONITORING_DRIFT__WASSERSTEIN_THRESHOLD", "5.0")
    monkeypatch.setenv("MONITORING_DRIFT__PSI_THRESHOLD", "5.0")
    settings = MonitoringSettings(_env_file=None)
    assert settings.drift.psi_threshold == 5.0 and settings.drift.wasserstein_threshold == 5.0
    summary = calculate_drift(reference, shifted, model=MODEL, thresholds=settings.drift,
                              features=FEATURES)  # fmt: skip
    assert summary.drifted_features == ["country"]  # still past its Cohen's h threshold
    monkeypatch.setenv("MONITORING_DRIFT__SHARE_SHIFT_THRESHOLD", "5.0")
    summary = calculate_drift(reference, shifted, model=MODEL,
                              thresholds=MonitoringSettings(_env_file=None).drift,
                              features=FEATURES)  # fmt: skip
    assert summary.drifted_features == []


def test_concept_drift_flags_decaying_windows() -> None:
    current = fraud_frame(20_000, seed=4, days=56, concept_decay=0.9)
    summary = calculate_drift(
        current, current, model=MODEL, thresholds=DriftThresholds(), features=["amount"],
        score="score", label="is_fraud", timestamp="event_timestamp", baseline_metric=None,
    )  # fmt: skip
    metrics = [w.metric for w in summary.concept_windows]
    assert len(metrics) == 8
    assert metrics[-1] < metrics[0] - 0.05
    assert summary.concept_drifted and not summary.concept_windows[0].decayed


def test_json_gauges_and_html(tmp_path, reference) -> None:
    shifted = fraud_frame(5_000, seed=2, shift={"amount": 0.6})
    summary = calculate_drift(reference, shifted, model=MODEL, thresholds=DriftThresholds(),
                              features=FEATURES, score="score")  # fmt: skip
    data = json.loads(summary.write_json(tmp_path / "s.json").read_text())
    assert data["drifted_features"] == ["amount"] and data["alert"] is True
    export_drift_metrics([summary], textfile=tmp_path / "drift.prom")
    families = {
        f.name: f for f in text_string_to_metric_families((tmp_path / "drift.prom").read_text())
    }
    psi = {s.labels["feature"]: s.value for s in families[FEATURE_DRIFT_PSI].samples}
    assert set(psi) == set(FEATURES) and psi["amount"] > 0.2 > psi["age"]
    assert families[PREDICTION_DRIFT_PSI].samples[0].labels == {"model": MODEL}
    html = write_drift_report(summary, reference, shifted, tmp_path / "r.html").read_text()
    assert "amount" in html and html.count("data:image/png;base64,") >= 3


def test_cli_writes_outputs_and_signals_drift(tmp_path, reference, capsys) -> None:
    reference.to_csv(tmp_path / "ref.csv", index=False)
    fraud_frame(3_000, seed=5, shift={"txn_count_24h": 1.0}).to_csv(
        tmp_path / "cur.csv", index=False
    )
    code = main(["drift", "--reference", str(tmp_path / "ref.csv"), "--current",
                 str(tmp_path / "cur.csv"), "--features", ",".join(FEATURES), "--model", MODEL,
                 "--output-dir", str(tmp_path / "out")])  # fmt: skip
    assert code == FLAGGED_EXIT_CODE
    printed = json.loads(capsys.readouterr().out)  # stdout: exactly the one JSON result
    assert printed["flagged"] is True and printed["drifted_features"] == ["txn_count_24h"]
    summary = json.loads((tmp_path / "out" / f"drift_{MODEL}.json").read_text())
    assert printed["summary"] == str(tmp_path / "out" / f"drift_{MODEL}.json")
    assert summary["drifted_features"] == ["txn_count_24h"]
    assert (tmp_path / "out" / f"drift_{MODEL}.html").stat().st_size > 10_000
    assert FEATURE_DRIFT_PSI in (tmp_path / "out" / f"drift_{MODEL}.prom").read_text()
