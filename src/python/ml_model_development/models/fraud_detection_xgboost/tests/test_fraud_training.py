"""End to end on the fixture Feast repo with SQLite MLflow under a temp MLOPS_HOME."""

import json
import os
from datetime import date
from pathlib import Path

import mlflow
import numpy as np
import onnx
import pandas as pd
import psycopg
import pytest
from mlflow.tracking import MlflowClient
from psycopg import sql

from ml_model_development import cli
from ml_model_development.common_ml_utils.batch_scoring import score_batch
from ml_model_development.common_ml_utils.onnx_export import OnnxScorer
from ml_model_development.common_ml_utils.prediction_store import SCHEMA
from ml_model_development.common_ml_utils.preprocessing import prepare_frame
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings
from ml_model_development.models.fraud_detection_xgboost.data_loader import load
from ml_model_development.models.fraud_detection_xgboost.predict_batch import predict_batch
from ml_model_development.models.fraud_detection_xgboost.promote import promote
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer
from ml_model_development.testing.registry_checks import check_registered_model
from mlops_common.contracts.features import FRAUD
from mlops_common.label_engine import RuleSet, bundled_rules_path, dry_run, load_rules, read_history
from mlops_common.settings import PlatformSettings

TEST_POSTGRES_DSN = os.environ.get(
    "MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)

WEAK = {"n_estimators": 2, "max_depth": 1, "learning_rate": 0.05}
STRONG = {"n_estimators": 40, "max_depth": 3}


def trainer(platform, hp) -> FraudDetectionTrainer:
    return FraudDetectionTrainer(
        settings=FraudTrainingSettings(hyperparameters=hp), platform=platform
    )


def test_data_loader_joins_the_feature_service(platform) -> None:
    frame = load(FraudTrainingSettings(), platform)
    assert set(FRAUD.feature_names) <= set(frame.columns)
    assert len(frame) == 1200 and frame[FRAUD.label].isin([0, 1]).all()
    # on-demand feature computed by Feast from request + stored features
    ratio = frame["amount"] / frame["txn_amount_avg_7d"].clip(lower=1.0)
    assert np.allclose(frame["amount_to_avg_7d_ratio"], ratio)


def test_train_register_promote_both_ways(platform, mlops_home: Path) -> None:
    weak = trainer(platform, WEAK).run()
    assert weak.model_version is not None and weak.parity_max_abs_diff <= 1e-5
    first = promote(trainer(platform, WEAK))
    assert first.promoted and first.reason == "no champion yet"

    strong = trainer(platform, STRONG).run()
    assert strong.metrics["roc_auc"] > weak.metrics["roc_auc"]
    won = promote(trainer(platform, STRONG))
    assert won.promoted and won.champion_version == weak.model_version
    assert won.challenger_score is not None and won.champion_score is not None
    assert won.challenger_score > won.champion_score

    worse = trainer(platform, WEAK).run()
    lost = promote(trainer(platform, WEAK))
    assert not lost.promoted and "<" in lost.reason

    client = MlflowClient()
    champion = client.get_model_version_by_alias(FRAUD.registered_model_name, "champion")
    challenger = client.get_model_version_by_alias(FRAUD.registered_model_name, "challenger")
    assert str(champion.version) == strong.model_version
    assert str(challenger.version) == worse.model_version

    # promotion record on the version: when, the champion it replaced, what was compared
    tags = champion.tags
    assert tags["promotion_promoted"] == "true" and tags["promotion_reason"] == won.reason
    assert tags["promotion_previous_champion"] == weak.model_version
    assert tags["promotion_metric"] == "roc_auc"
    assert float(tags["promotion_challenger_score"]) == pytest.approx(won.challenger_score)
    assert float(tags["promotion_champion_score"]) == pytest.approx(won.champion_score)
    assert float(tags["promotion_margin"]) == won.margin
    assert tags["promotion.champion"] == tags["promotion_decided_at"]
    refused = client.get_model_version(FRAUD.registered_model_name, worse.model_version).tags
    assert refused["promotion_promoted"] == "false" and "promotion.champion" not in refused
    assert refused["promotion_previous_champion"] == strong.model_version
    first_tags = client.get_model_version(FRAUD.registered_model_name, weak.model_version).tags
    assert first_tags["promotion_previous_champion"] == "none"

    # the alias users load is the served ONNX graph (pyfunc), with signature and training set
    check_registered_model(trainer(platform, STRONG))

    # run layout: ONNX graph + signature beside the native model, params/metrics/plots logged
    run = client.get_run(strong.run_id)
    assert run.data.params["hp_n_estimators"] == "40"
    assert run.data.metrics["roc_auc"] == pytest.approx(strong.metrics["roc_auc"])
    assert run.data.tags["feature_service"] == "fraud_detection_v1"
    listed = {a.path for a in client.list_artifacts(strong.run_id, "onnx")}
    assert listed == {"onnx/model.onnx", "onnx/signature.json"}
    assert {a.path for a in client.list_artifacts(strong.run_id, "plots")} >= {
        "plots/roc_curve.png"
    }
    artifacts = Path(
        mlflow.get_experiment(run.info.experiment_id).artifact_location.removeprefix("file://")
    )
    assert artifacts.is_relative_to(mlops_home)
    assert not Path("mlruns").exists()

    # published champion folder for services
    folder = mlops_home / "models" / FRAUD.registered_model_name / "champion"
    assert json.loads((folder / "version.json").read_text())["version"] == strong.model_version
    signature = json.loads((folder / "signature.json").read_text())
    # the lean contract: one float matrix in contract order, categories as vocabulary ids
    assert [i["name"] for i in signature["inputs"]] == ["features"]
    assert signature["inputs"][0]["columns"] == FRAUD.feature_names
    assert set(signature["category_vocabulary"]) == set(FRAUD.categorical)
    assert all(signature["category_vocabulary"][c] for c in FRAUD.categorical)
    graph = onnx.load(folder / "model.onnx")
    assert [i.name for i in graph.graph.input] == ["features"]
    assert [o.name for o in graph.graph.output] == ["label", "probabilities"]
    metadata = {p.key: p.value for p in graph.metadata_props}
    assert json.loads(metadata["category_vocabulary"]) == signature["category_vocabulary"]
    row = prepare_frame(pd.DataFrame([FRAUD.defaults()]), FRAUD)
    assert OnnxScorer((folder / "model.onnx").read_bytes(), FRAUD).positive_proba(row).shape == (1,)


def test_batch_prediction_and_cli(platform, mlops_home: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(mlops_home))
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__N_ESTIMATORS", "20")
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__MAX_DEPTH", "3")
    assert cli.main(["train", "fraud", "--promote"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["registered_model_name"] == FRAUD.registered_model_name
    assert "promotion" in out and out["parity_max_abs_diff"] <= 1e-5

    entities = pd.read_parquet(mlops_home / "labels" / "fraud_detection_labels.parquet")
    entities_path = mlops_home / "to_score.parquet"
    to_score = entities.drop(columns=[FRAUD.label]).head(300)
    to_score.assign(row_id=range(300)).to_parquet(entities_path)
    output = mlops_home / "scored" / "fraud.parquet"
    for engine in ("native", "onnx"):
        assert (
            cli.main(
                [
                    "predict-batch",
                    "fraud",
                    "--entities",
                    str(entities_path),
                    "--output",
                    str(output),
                    "--engine",
                    engine,
                    *(
                        ["--rules", str(bundled_rules_path(FRAUD.use_case))]
                        if engine == "onnx"
                        else []
                    ),
                ]
            )
            == 0
        )
        scored = pd.read_parquet(output)
        assert len(scored) == 300 and scored["engine"].eq(engine).all()
        if engine == "onnx":  # Label Engine decisions: same rules as the online service
            rules = load_rules(bundled_rules_path(FRAUD.use_case))
            assert set(scored["label"]) <= set(rules.labels)
            assert scored["rules_version"].eq(rules.version).all()
            for row in scored.to_dict("records"):
                decision = rules.decide(row)
                assert (row["label"], row["fired_rules"]) == (
                    decision.label,
                    ",".join(decision.fired),
                )
            blocked = scored["score"] >= 0.9
            assert scored.loc[blocked, "label"].eq("block").all()
            # extra entity columns come through so results can be joined back
            assert sorted(scored["row_id"]) == list(range(300))
        else:
            assert "label" not in scored.columns
        assert scored["score"].between(0, 1).all()
        champion = MlflowClient().get_model_version_by_alias(
            FRAUD.registered_model_name, "champion"
        )
        assert scored["model_version"].eq(str(champion.version)).all()
        assert scored["scored_at"].notna().all()
    # Fail safe in batch as online: an unknown card holder's large payment abroad is reviewed,
    # a small one is still decided by the model, a known card holder's by the model and rules.
    unknown, known = 10_000_000, int(to_score["user_id"].iloc[0])
    cases = pd.DataFrame(
        {
            "user_id": [unknown, unknown, known],
            # distinct times: Feast's point-in-time join keeps one row per (entity, time)
            "event_timestamp": to_score["event_timestamp"].max() + pd.to_timedelta([1, 2, 3], "s"),
            "amount": [129.50, 12.0, 129.50],
            "merchant_category": ["electronics"] * 3,
            "country": ["BR"] * 3,
            "hour_of_day": [14] * 3,
            "case": ["unknown_big", "unknown_small", "known_big"],
        }
    )
    cases.to_parquet(mlops_home / "fail_safe.parquet")
    score_batch(
        FraudDetectionTrainer(settings=FraudTrainingSettings(), platform=platform),
        mlops_home / "fail_safe.parquet",
        mlops_home / "fail_safe_scored.parquet",
        engine="onnx",
        rules=bundled_rules_path(FRAUD.use_case),
    )
    got = pd.read_parquet(mlops_home / "fail_safe_scored.parquet").set_index("case")
    rules = load_rules(bundled_rules_path(FRAUD.use_case))
    fail_safe = {"unknown_card_holder", "degraded_read"}
    big, small, mine = got.loc["unknown_big"], got.loc["unknown_small"], got.loc["known_big"]
    assert not big["entity_known"] and big["degraded"]
    assert big["missing_features"].split(",") == [f.name for f in FRAUD.stored_features]
    assert fail_safe <= set(big["fired_rules"].split(",")) and big["label"] in ("review", "block")
    assert not small["entity_known"] and not fail_safe & set(small["fired_rules"].split(","))
    by_model = rules.decide({**small[FRAUD.feature_names].to_dict(), "score": small["score"]})
    assert (small["label"], small["fired_rules"]) == (by_model.label, ",".join(by_model.fired))
    assert mine["entity_known"] and not mine["degraded"] and mine["missing_count"] == 0
    assert not fail_safe & set(mine["fired_rules"].split(","))
    # The output replays as it was decided: dry-run reads it as is (parquet, context columns).
    bundled = load_rules(bundled_rules_path(FRAUD.use_case))
    before = RuleSet(
        bundled.name,
        "before",
        bundled.labels,
        bundled.default_label,
        tuple(r for r in bundled.rules if r.name not in fail_safe),
    )
    history = read_history(mlops_home / "fail_safe_scored.parquet")
    report = dry_run(before, bundled, history)
    assert report.rows == 3 and report.candidate_labels == got["label"].value_counts().to_dict()
    assert report.candidate_rule_hits["unknown_card_holder"] == 1

    native = predict_batch(
        entities_path,
        mlops_home / "n.parquet",
        FraudDetectionTrainer(
            settings=FraudTrainingSettings(batch_engine="native"), platform=platform
        ),
    )
    assert native.rows == 300

    # Servers profile with a partition date: the same rows also land in PostgreSQL, and a
    # re-run replaces that day's rows instead of appending (MLflow stays the local SQLite).
    servers = PlatformSettings(
        home=mlops_home,
        profile="servers",
        mlflow_tracking_uri=platform.resolved_mlflow_tracking_uri(),
        postgres_dsn=TEST_POSTGRES_DSN,
    )
    day = date(2001, 1, 1)  # a day no other test publishes
    table = sql.Identifier(SCHEMA, FRAUD.registered_model_name)
    count = sql.SQL("SELECT count(*), count(DISTINCT row_id) FROM {} WHERE partition_date = %s")
    try:
        for _ in range(2):
            published = score_batch(
                FraudDetectionTrainer(settings=FraudTrainingSettings(), platform=servers),
                entities_path,
                mlops_home / "servers.parquet",
                partition_date=day,
            )
            assert published.table == f"{SCHEMA}.{FRAUD.registered_model_name}"
            with psycopg.connect(TEST_POSTGRES_DSN) as conn:
                assert conn.execute(count.format(table), (day,)).fetchone() == (300, 300)
    finally:
        with psycopg.connect(TEST_POSTGRES_DSN) as conn:
            conn.execute(sql.SQL("DELETE FROM {} WHERE partition_date = %s").format(table), (day,))


def test_cli_reports_bad_config(monkeypatch, capsys) -> None:
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__MAX_DEPTH", "zero")
    assert cli.main(["train", "fraud"]) == 1  # a user error: one line, no traceback
    assert "TRAINING_HYPERPARAMETERS__MAX_DEPTH" in capsys.readouterr().err
