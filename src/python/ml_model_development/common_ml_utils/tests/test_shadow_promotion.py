"""Shadow promotion against a real MLflow server: an offline winner stays in shadow, then
``trainer promote-challenger`` waits, flags and finally promotes on the shadow log + labels,
with every evidence figure in the version's tags."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from ml_model_development.cli import main
from ml_model_development.common_ml_utils import mlflow_utils
from ml_model_development.common_ml_utils.promotion import evaluate_and_promote
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer
from ml_model_development.testing.mlflow_server import running_mlflow_server
from mlops_common.contracts.features import CHURN
from mlops_common.settings import PlatformSettings, Profile
from mlops_common.shadow_log import ShadowLogWriter, ShadowRecord

NAME = CHURN.registered_model_name
FLIPPED = 12  # non-churners the challenger would contact (its score 0.55 instead of 0.1)


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_mlflow_server(tmp_path_factory.mktemp("mlflow_server")) as uri:
        yield uri


def shadow_log(root: Path, labels_path: Path, now: datetime) -> tuple[int, int]:
    """One request per user, scored now: the champion ranks perfectly, the challenger flips
    FLIPPED 'retain' decisions to 'contact' but keeps the ranking; (requests, positives)."""
    labels = pd.read_parquet(labels_path)
    labels["event_timestamp"] = pd.to_datetime(labels["event_timestamp"], utc=True)
    latest = labels[labels["event_timestamp"] <= now].sort_values("event_timestamp")
    latest = latest.groupby("user_id").tail(1)
    records, flipped = [], 0
    for n, row in enumerate(latest.itertuples()):
        churned = bool(row.churned)
        score = 0.9 if churned else 0.1
        challenger = score
        if not churned and flipped < FLIPPED:
            challenger, flipped = 0.55, flipped + 1
        records.append(
            ShadowRecord(
                ts=now.isoformat(), request_id=f"req-{n}", entity_id=int(row.user_id),
                event_id=None, champion_version="1", challenger_version="2",
                champion_score=score, challenger_score=challenger,
                champion_label="contact" if score >= 0.5 else "retain",
                challenger_label="contact" if challenger >= 0.5 else "retain",
                service="churn-api",
            )
        )  # fmt: skip
    ShadowLogWriter(root, NAME).append_many(records)
    return len(records), int(latest["churned"].sum())


def cli(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capfd.readouterr()  # what training printed before
    code = main(["promote-challenger", "churn", *args])
    return code, json.loads(capfd.readouterr().out)


def test_offline_winner_waits_in_shadow_then_promotes_on_evidence(
    mlflow_server: str,
    mlops_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    platform = PlatformSettings(
        home=mlops_home, profile=Profile.SERVERS, mlflow_tracking_uri=mlflow_server
    )
    settings = ChurnTrainingSettings(
        hyperparameters={"n_estimators": 20, "num_leaves": 7},
        promotion_policy="shadow",
        promotion_margin=0.0,  # an equal challenger wins offline: it goes to shadow
    )
    result = CustomerChurnTrainer(settings=settings, platform=platform).run()
    first = evaluate_and_promote(CustomerChurnTrainer(settings=settings, platform=platform))
    assert first.promoted and not first.shadow  # no champion yet: nothing to shadow against
    client = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    v1 = client.get_model_version(NAME, "1")
    # A second version of the same run (its holdout tags too): equal offline, margin 0 wins.
    holdout = {k: v for k, v in v1.tags.items() if not k.startswith("promotion")}
    assert v1.source is not None and v1.run_id is not None
    assert mlflow_utils.register(v1.source, NAME, "challenger", tags=holdout) == "2"
    decision = evaluate_and_promote(CustomerChurnTrainer(settings=settings, platform=platform))
    assert decision.shadow and not decision.promoted and decision.policy == "shadow"
    assert "stays 'challenger' in shadow" in decision.reason
    v2 = client.get_model_version(NAME, "2")
    assert v2.tags["shadow_state"] == "shadow" and v2.tags["promotion_promoted"] == "false"
    assert client.get_model_version_by_alias(NAME, "champion").version == "1"
    assert client.get_model_version_by_alias(NAME, "challenger").version == "2"

    now = datetime.now(UTC)
    shadow_root = mlops_home / "shadow-test"
    requests, positives = shadow_log(
        shadow_root, mlops_home / "labels" / "customer_churn_labels.parquet", now
    )
    assert requests > 100 and 0 < positives < requests
    for key, value in {
        "MLOPS_HOME": str(mlops_home),
        "MLOPS_PROFILE": "servers",
        "MLOPS_MLFLOW_TRACKING_URI": mlflow_server,
        "MLOPS_SHADOW_ROOT": str(shadow_root),
        "TRAINING_PROMOTION_POLICY": "shadow",
        "TRAINING_SHADOW_MIN_LABELLED": "50",
    }.items():
        monkeypatch.setenv(key, value)

    # 1. not enough requests yet: exit 0, promoted false, the figures tagged
    monkeypatch.setenv("TRAINING_SHADOW_MIN_REQUESTS", str(requests + 1))
    code, out = cli(capfd)
    assert code == 0 and out["verdict"] == "wait" and out["promoted"] is False
    assert out["evidence"]["requests"] == requests
    assert out["evidence"]["changed"] == {"retain->contact": FLIPPED}
    assert client.get_model_version(NAME, "2").tags["promotion_shadow_verdict"] == "wait"

    # 2. enough evidence, but agreement below the minimum: exit 3 (flagged), alias unchanged
    monkeypatch.setenv("TRAINING_SHADOW_MIN_REQUESTS", "100")
    monkeypatch.setenv("TRAINING_SHADOW_MIN_AGREEMENT", "0.99")
    code, out = cli(capfd)
    agreement = (requests - FLIPPED) / requests
    assert code == 3 and out["verdict"] == "reject" and out["flagged"] is True
    assert out["evidence"]["agreement"] == pytest.approx(agreement)
    assert client.get_model_version_by_alias(NAME, "champion").version == "1"

    # 3. the same evidence under a looser policy promotes, and says why in the tags
    monkeypatch.setenv("TRAINING_SHADOW_MIN_AGREEMENT", "0.9")
    code, out = cli(capfd)
    assert code == 0 and out["verdict"] == "promote" and out["promoted"] is True
    assert out["evidence"]["labelled"] == requests  # every user had a snapshot before now
    assert out["evidence"]["challenger_metric"] == pytest.approx(1.0)  # ranking kept
    assert Path(out["champion_dir"], "model.onnx").exists()
    assert client.get_model_version_by_alias(NAME, "champion").version == "2"
    with pytest.raises(Exception, match="challenger"):
        client.get_model_version_by_alias(NAME, "challenger")
    tags = client.get_model_version(NAME, "2").tags
    assert tags["promotion_evidence"] == "shadow" and tags["promotion_promoted"] == "true"
    assert tags["promotion_previous_champion"] == "1"
    assert tags["shadow_state"] == "promoted" and "promotion.champion" in tags
    assert int(tags["promotion_shadow_requests"]) == requests
    assert float(tags["promotion_shadow_agreement"]) == pytest.approx(agreement)
    assert json.loads(tags["promotion_shadow_changed"]) == {"retain->contact": FLIPPED}
    assert int(tags["promotion_shadow_labelled"]) == requests
    assert int(tags["promotion_shadow_positives"]) == positives
    assert tags["promotion_shadow_min_agreement"] == "0.9"
    assert tags["promotion_shadow_min_requests"] == "100"
    assert tags["promotion_shadow_max_metric_drop"] == "0.0"
    assert tags["promotion_shadow_metric"] == "roc_auc"
    assert tags["promotion_shadow_window_end"] == now.date().isoformat()
    run_tags = client.get_run(v1.run_id).data.tags
    assert run_tags["promotion_evidence"] == "shadow"  # the run that trained it says so too
    assert result.run_id == v1.run_id

    # 4. nothing left in shadow: the daily run is a no-op, not a failure
    code, out = cli(capfd)
    assert code == 0 and out["verdict"] == "none" and out["promoted"] is False
