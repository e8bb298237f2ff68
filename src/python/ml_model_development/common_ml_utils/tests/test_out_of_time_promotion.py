"""The data grows by a day, both models retrain, and promotion judges them only on rows
neither was fitted on: checked by row identity (transaction ids, user ids) against the rows
each model's ``fit`` actually received. Real Feast fixture repo and SQLite MLflow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from ml_model_development.common_ml_utils.base_model_trainer import BaseModelTrainer
from ml_model_development.common_ml_utils.holdout import HoldoutRecord, iso
from ml_model_development.common_ml_utils.promotion import PromotionDecision, evaluate_and_promote
from ml_model_development.common_ml_utils.promotion_window import choose_window
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer
from ml_model_development.testing.fixture_feature_repo import build_fixture_repo, grow_by_a_day
from mlops_common.settings import PlatformSettings

HP: dict[type[BaseModelTrainer], dict[str, int]] = {
    FraudDetectionTrainer: {"n_estimators": 20, "max_depth": 3, "n_jobs": 1},
    CustomerChurnTrainer: {"n_estimators": 20, "num_leaves": 7, "min_child_samples": 10},
}
ROW_ID: dict[type[BaseModelTrainer], str] = {
    FraudDetectionTrainer: "transaction_id",
    CustomerChurnTrainer: "user_id",
}


def recording(cls: type[BaseModelTrainer], platform: PlatformSettings, **settings):
    """The model's own trainer, remembering the rows ``fit`` was given (no mocking)."""

    class Recording(cls):  # type: ignore[misc, valid-type]
        def fit(self, pipeline, train):
            self.trained_rows = train.copy()
            return super().fit(pipeline, train)

    return Recording(
        settings=cls.settings_class(hyperparameters=HP[cls], **settings), platform=platform
    )


@dataclass
class Grown:
    trainer: BaseModelTrainer
    champion_rows: pd.DataFrame
    challenger_rows: pd.DataFrame
    champion_version: str
    challenger_version: str
    window_rows: pd.DataFrame
    decision: PromotionDecision
    frame_before: pd.DataFrame


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> dict[type[BaseModelTrainer], Grown]:
    home: Path = tmp_path_factory.mktemp("grow_home")
    build_fixture_repo(home, users=200)
    platform = PlatformSettings(home=home, mlflow_tracking_uri=None)
    first = {cls: recording(cls, platform) for cls in HP}
    before = {cls: trainer.load_validated() for cls, trainer in first.items()}
    versions = {cls: trainer.run().model_version for cls, trainer in first.items()}
    for trainer in first.values():
        assert evaluate_and_promote(trainer).promoted  # v1 becomes champion
    grow_by_a_day(home)
    out = {}
    for cls, old in first.items():
        new = recording(cls, platform)
        result = new.run()
        client = MlflowClient()
        tags = {
            v: client.get_model_version(new.name, v).tags
            for v in (versions[cls], result.model_version)
        }
        frame = new.load_validated()
        window = choose_window(
            frame,
            new.contract.label,
            HoldoutRecord.from_tags(tags[result.model_version]),
            HoldoutRecord.from_tags(tags[versions[cls]]),
            versions[cls],
        )
        out[cls] = Grown(
            new,
            old.trained_rows,
            new.trained_rows,
            versions[cls],
            result.model_version,
            window.rows,
            evaluate_and_promote(new),
            before[cls],
        )
    return out


@pytest.mark.parametrize("cls", list(HP), ids=["fraud_out_of_time", "churn_entity"])
def test_no_promotion_row_was_in_either_training_set(grown, cls) -> None:
    g = grown[cls]
    key = ROW_ID[cls]
    promoted_on = set(g.window_rows[key])
    assert promoted_on and g.window_rows[g.trainer.contract.label].nunique() == 2
    assert not promoted_on & set(g.champion_rows[key])
    assert not promoted_on & set(g.challenger_rows[key])
    # the decision scored exactly these rows
    assert g.decision.window_rows == len(g.window_rows)
    assert g.decision.window_start == iso(g.window_rows["event_timestamp"].min())
    assert g.decision.challenger_score is not None and g.decision.champion_score is not None
    assert g.decision.challenger_version != g.decision.champion_version
    # the grown data is in play: new rows are judged on (the newest day / new users) and
    # the challenger was fitted on rows the champion never saw
    new_ids = set(g.trainer.load_validated()[key]) - set(g.frame_before[key])
    assert new_ids & promoted_on
    assert set(g.challenger_rows[key]) - set(g.champion_rows[key])
    # the old way (random split of today's frame) would have judged the champion on its
    # own training rows: the checks above are not vacuous
    settings = g.trainer.settings.model_copy(update={"holdout_strategy": "random"})
    old_way = type(g.trainer)(settings=settings, platform=g.trainer.platform)
    holdout = old_way.split(old_way.load_validated()).holdout
    assert set(holdout[key]) & set(g.champion_rows[key])


def test_fraud_window_is_after_both_cutoffs(grown) -> None:
    g = grown[FraudDetectionTrainer]
    cutoffs = [
        HoldoutRecord.from_tags(MlflowClient().get_model_version(g.trainer.name, v).tags)
        for v in (g.champion_version, g.challenger_version)
    ]
    times = [c.data_cutoff for c in cutoffs if c.data_cutoff is not None]
    assert len(times) == 2  # both versions carry their cutoff
    latest = max(times)
    assert times[0] < times[1]  # the data grew
    assert (g.window_rows["event_timestamp"] > latest).all()
    assert g.decision.window_rule == "out_of_time" and g.decision.window_honest
    assert iso(latest) in g.decision.window


def test_version_and_run_tags_carry_the_cutoff(grown) -> None:
    client = MlflowClient()
    for g in grown.values():
        version = client.get_model_version(g.trainer.name, g.challenger_version)
        record = HoldoutRecord.from_tags(version.tags)
        trained = g.challenger_rows["event_timestamp"]
        assert record.holdout_strategy == g.trainer.settings.holdout_strategy
        assert trained.max() <= record.data_cutoff
        assert version.tags["data_cutoff"].endswith("+00:00")  # ISO-8601 UTC
        assert version.tags["holdout_start"] and version.tags["holdout_end"]
        assert int(version.tags["train_rows"]) == len(g.challenger_rows)
        assert version.run_id is not None
        run = client.get_run(version.run_id)
        assert run.data.tags["data_cutoff"] == version.tags["data_cutoff"]
        assert run.data.params["holdout_strategy"] == record.holdout_strategy
        if record.holdout_strategy == "entity":
            assert version.tags["holdout_entity_rule"].startswith("int(sha256(str(user_id)")
        # promotion tags: the window used, its size and the scores, on version and run
        assert version.tags["promotion_rows"] == str(g.decision.window_rows)
        assert version.tags["promotion_window"] == g.decision.window
        assert run.data.tags["promotion_window_start"] == g.decision.window_start
        assert float(version.tags["promotion_challenger_score"]) == pytest.approx(
            g.decision.challenger_score
        )
        # ... and the decision itself: when, against which champion, by what margin, why
        assert version.tags["promotion_previous_champion"] == g.champion_version
        assert float(version.tags["promotion_margin"]) == g.decision.margin
        assert version.tags["promotion_metric"] == g.decision.metric
        assert version.tags["promotion_reason"] == g.decision.reason
        assert version.tags["promotion_decided_at"].endswith("+00:00")
        assert ("promotion.champion" in version.tags) is g.decision.promoted
        champion = client.get_model_version(g.trainer.name, g.champion_version)
        assert "promotion.champion" in champion.tags  # read by the retraining report
