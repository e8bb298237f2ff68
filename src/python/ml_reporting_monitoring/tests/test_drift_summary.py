import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ml_reporting_monitoring.cli import FLAGGED_EXIT_CODE, main
from ml_reporting_monitoring.config import DriftThresholds, MonitoringSettings
from ml_reporting_monitoring.drift.distribution import DistributionDrift, Effect
from ml_reporting_monitoring.drift.metrics_export import export_drift_metrics
from ml_reporting_monitoring.drift.summary import FeatureDrift, calculate_drift
from ml_reporting_monitoring.reports.drift_report import write_drift_report
from ml_reporting_monitoring.testing.synthetic_data import fraud_frame
from mlops_common.contracts.features import FRAUD
from mlops_common.contracts.metrics import (
    FEATURE_DRIFT_PSI,
    PREDICTION_DRIFT_DETECTED,
    PREDICTION_DRIFT_PSI,
)

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
    # the job's own decision, which the alert fires on
    (decided,) = families[PREDICTION_DRIFT_DETECTED].samples
    assert decided.labels == {"model": MODEL}
    assert summary.prediction_drifted and decided.value == 1.0
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


def test_cli_survives_a_feature_that_is_null_in_both_windows(tmp_path, reference) -> None:
    """One all-null column (text or numeric) used to fail the whole run in the plot."""
    current = fraud_frame(3_000, seed=5, shift={"txn_count_24h": 1.0})
    reference.assign(note=None, rescore=np.nan).to_csv(tmp_path / "ref.csv", index=False)
    current.assign(note=None, rescore=np.nan).to_csv(tmp_path / "cur.csv", index=False)
    features = [*FEATURES, "note", "rescore"]
    code = main(["drift", "--reference", str(tmp_path / "ref.csv"), "--current",
                 str(tmp_path / "cur.csv"), "--features", ",".join(features), "--model", MODEL,
                 "--output-dir", str(tmp_path / "out")])  # fmt: skip
    assert code == FLAGGED_EXIT_CODE  # the real drift, not a failure (1)
    summary = json.loads((tmp_path / "out" / f"drift_{MODEL}.json").read_text())
    assert summary["drifted_features"] == ["txn_count_24h"]
    html = (tmp_path / "out" / f"drift_{MODEL}.html").read_text()
    assert html.count("data:image/png;base64,") == 1 + len(features)
    prom = (tmp_path / "out" / f"drift_{MODEL}.prom").read_text()
    assert 'feature="note"' in prom and 'feature="rescore"' in prom


class _Pushgateway(BaseHTTPRequestHandler):
    """Records each push (method, path, body) and answers 200 like a Pushgateway."""

    pushes: list[tuple[str, str, str]] = []

    def do_PUT(self) -> None:  # http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8", "replace")
        self.pushes.append(("PUT", self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


def test_each_model_is_pushed_as_its_own_group(reference) -> None:
    """A PUT replaces its whole group: with the job alone as group, model b deleted model a."""
    current = fraud_frame(2_000, seed=6)
    summaries = [
        calculate_drift(
            reference, current, model=model, thresholds=DriftThresholds(), features=["amount"]
        )  # fmt: skip
        for model in ("model_a", "model_b")
    ]
    server = HTTPServer(("127.0.0.1", 0), _Pushgateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        export_drift_metrics(summaries, pushgateway=f"127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    paths = [path for _, path, _ in _Pushgateway.pushes]
    assert paths == [
        "/metrics/job/mlops-drift-check/model/model_a",
        "/metrics/job/mlops-drift-check/model/model_b",
    ]
    for (_, _, body), model in zip(_Pushgateway.pushes, ("a", "b"), strict=True):
        assert f'model="model_{model}"' in body  # each group carries only its own model
        assert f'model="model_{"b" if model == "a" else "a"}"' not in body


def test_reason_does_not_say_below_when_the_effect_passed_but_the_test_did_not() -> None:
    """Status ok because p >= the gate: the effect is past its threshold, not below it."""
    effect = Effect("wasserstein_normed", 0.202, 0.1, 0.05)
    result = DistributionDrift("amount", "continuous", "ks", 0.43, (effect,),
                               "median 1 -> 2", 40, 40)  # fmt: skip
    feature = FeatureDrift.build(result, None, p_value_threshold=0.001)
    assert feature.status == "ok"
    assert feature.reason == (
        "wasserstein_normed 0.202 >= 0.1 but not significant (ks p 0.43 >= 0.001): median 1 -> 2"
    )
    below = DistributionDrift("amount", "continuous", "ks", 0.43,
                              (Effect("wasserstein_normed", 0.02, 0.1, 0.05),), "m", 40, 40)  # fmt: skip
    assert FeatureDrift.build(below, None, 0.001).reason == (
        "wasserstein_normed 0.02 below 0.1 (ks p 0.43): m"
    )
