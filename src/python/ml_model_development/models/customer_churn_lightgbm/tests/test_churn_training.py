"""Churn reuses the common library end to end: train, gate, register, promote, score."""

from pathlib import Path

import pandas as pd
from mlflow.tracking import MlflowClient

from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.customer_churn_lightgbm.predict_batch import predict_batch
from ml_model_development.models.customer_churn_lightgbm.promote import promote
from ml_model_development.models.customer_churn_lightgbm.train import CustomerChurnTrainer
from ml_model_development.testing.registry_checks import check_registered_model
from mlops_common.contracts.features import CHURN


def trainer(platform, margin: float = 0.001, **hp) -> CustomerChurnTrainer:
    return CustomerChurnTrainer(
        settings=ChurnTrainingSettings(hyperparameters=hp, promotion_margin=margin),
        platform=platform,
    )


def test_churn_end_to_end(platform, mlops_home: Path) -> None:
    good = trainer(platform, n_estimators=40, num_leaves=7, min_child_samples=10).run()
    assert good.model_version is not None and good.parity_max_abs_diff <= 1e-5
    assert good.metrics["roc_auc"] > 0.65
    assert promote(trainer(platform)).promoted

    # One stump: on ~90 held-out users it can rank about as well as the 40-tree model
    # (days_since_last_login dominates the fixture's churn), so the gate asks for a margin.
    bad = trainer(platform, n_estimators=1, num_leaves=2, learning_rate=0.01).run()
    decision = promote(trainer(platform, margin=0.05))
    assert not decision.promoted and decision.challenger_version == bad.model_version
    assert decision.challenger_score is not None and decision.champion_score is not None
    assert decision.challenger_score < decision.champion_score + 0.05
    # judged on the stable entity holdout: users neither model trained on
    assert decision.window_rule == "entity" and decision.window_rows > 50
    client = MlflowClient()
    champion = client.get_model_version_by_alias(CHURN.registered_model_name, "champion")
    assert str(champion.version) == good.model_version
    check_registered_model(trainer(platform))  # pyfunc alias = served ONNX graph, dataset

    entities = pd.read_parquet(mlops_home / "labels" / "customer_churn_labels.parquet")
    path = mlops_home / "churn_entities.parquet"
    entities.drop(columns=[CHURN.label]).to_parquet(path)
    result = predict_batch(path, mlops_home / "churn_scored.parquet", trainer(platform))
    scored = pd.read_parquet(result.output_path)
    assert result.engine == "onnx"  # small batch: the model's preferred engine
    assert len(scored) == len(entities) and scored["model_version"].eq(good.model_version).all()
