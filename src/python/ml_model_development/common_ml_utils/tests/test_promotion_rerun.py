"""A promotion that fails after moving ``champion`` is completed by the re-run (Airflow retries
the task): the published copy follows the alias and the decision says ``promoted: true``, so the
DAG reloads the service. Real trainers, fixture Feast repo and SQLite MLflow; the only stand-in
is a publish that fails once, for the I/O failure (download error, full disk) it represents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from ml_model_development.common_ml_utils import mlflow_utils, promotion
from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.promotion import evaluate_and_promote
from ml_model_development.common_ml_utils.shadow_promotion import promote_challenger
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer
from mlops_common.settings import PlatformSettings
from mlops_common.shadow_log import ShadowLogWriter, ShadowRecord


def publish_fails_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first publish raises as a full disk would; later ones publish. Returns the calls."""
    real, calls = promotion.publish_champion, []

    def publish(trainer: BaseModelTrainer, version: str, run_id: str) -> Path:
        calls.append(version)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(trainer, version, run_id)

    monkeypatch.setattr(promotion, "publish_champion", publish)
    return calls


def published(trainer: BaseModelTrainer) -> str | None:
    path = promotion.champion_dir(trainer) / "version.json"
    return str(json.loads(path.read_text())["version"]) if path.exists() else None


def second_version(trainer: BaseModelTrainer) -> str:
    """Register v1's model again as ``challenger`` (its holdout tags too): it scores equal."""
    v1 = MlflowClient().get_model_version(trainer.name, "1")
    holdout = {k: v for k, v in v1.tags.items() if not k.startswith(("promotion", "shadow"))}
    assert v1.source is not None
    return mlflow_utils.register(v1.source, trainer.name, "challenger", tags=holdout)


def champion_version(trainer: BaseModelTrainer) -> str:
    return str(MlflowClient().get_model_version_by_alias(trainer.name, "champion").version)


def test_offline_promotion_failing_after_the_alias_moved_is_completed_by_the_rerun(
    platform: PlatformSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def trainer() -> FraudDetectionTrainer:
        settings = FraudTrainingSettings(
            hyperparameters={"n_estimators": 20, "max_depth": 3, "n_jobs": 1},
            promotion_margin=0.0,  # an equal challenger wins
        )
        return FraudDetectionTrainer(settings=settings, platform=platform)

    trainer().run()
    assert evaluate_and_promote(trainer()).promoted
    assert published(trainer()) == "1"
    assert second_version(trainer()) == "2"

    calls = publish_fails_once(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        evaluate_and_promote(trainer())
    assert champion_version(trainer()) == "2" and published(trainer()) == "1"  # half done

    retried = evaluate_and_promote(trainer())  # the task's retry
    assert retried.promoted and "completing the promotion of v2" in retried.reason
    assert retried.challenger_version == "2" and retried.champion_version == "1"
    assert retried.champion_dir is not None and published(trainer()) == "2"
    assert calls == ["2", "2"]

    again = evaluate_and_promote(trainer())  # nothing new to promote: still a no-op
    assert not again.promoted and again.reason == "challenger is already champion"
    assert again.champion_version == "2" and calls == ["2", "2"]


def agreeing_shadow_log(trainer: BaseModelTrainer, now: datetime) -> int:
    """One request per user scored now, both models alike and right: the evidence promotes."""
    labels = pd.read_parquet(
        trainer.settings.resolve_labels_path(trainer.platform, trainer.contract.use_case)
    )
    labels["event_timestamp"] = pd.to_datetime(labels["event_timestamp"], utc=True)
    latest = labels[labels["event_timestamp"] <= now].groupby("user_id").tail(1)
    records = []
    for n, row in enumerate(latest.itertuples()):
        score = 0.9 if row.churned else 0.1
        label = "contact" if row.churned else "retain"
        records.append(
            ShadowRecord(
                ts=now.isoformat(), request_id=f"req-{n}", entity_id=int(row.user_id),
                event_id=None, champion_version="1", challenger_version="2",
                champion_score=score, challenger_score=score,
                champion_label=label, challenger_label=label, service="churn-api",
            )
        )  # fmt: skip
    ShadowLogWriter(trainer.platform.resolved_shadow_root(), trainer.name).append_many(records)
    return len(records)


def test_shadow_promotion_failing_after_the_alias_moved_is_completed_by_the_rerun(
    platform: PlatformSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ChurnTrainingSettings(
        hyperparameters={"n_estimators": 20, "num_leaves": 7},
        promotion_policy="shadow",
        promotion_margin=0.0,  # an equal challenger wins offline: it goes to shadow
        shadow_min_requests=50,
        shadow_min_labelled=50,
    )

    def trainer() -> CustomerChurnTrainer:
        return CustomerChurnTrainer(settings=settings, platform=platform)

    trainer().run()
    assert evaluate_and_promote(trainer()).promoted  # no champion yet: v1 at once
    assert second_version(trainer()) == "2"
    assert evaluate_and_promote(trainer()).shadow
    assert agreeing_shadow_log(trainer(), datetime.now(UTC)) >= 50

    calls = publish_fails_once(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        promote_challenger(trainer())
    assert champion_version(trainer()) == "2" and published(trainer()) == "1"  # half done

    retried = promote_challenger(trainer())  # the task's retry
    assert retried.promoted and retried.verdict == "promote"
    assert "completing the shadow promotion of v2" in retried.reason
    assert retried.champion_version == "1" and retried.challenger_version == "2"
    assert retried.champion_dir is not None and published(trainer()) == "2"
    assert mlflow_utils.version_for_alias(trainer().name, "challenger") is None
    assert calls == ["2", "2"]

    again = promote_challenger(trainer())  # nothing in shadow: the daily no-op
    assert not again.promoted and again.verdict == "none" and calls == ["2", "2"]
