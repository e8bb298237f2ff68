"""Spark batch scoring (``local[2]``) gives the single-process engine's output row by row.

A real fraud champion (fixture Feast repo, SQLite MLflow, the real ONNX export and parity
gate), real Spark tasks, the bundled Label Engine rules; entity rows include unknown card
holders so the read-context columns (``degraded``, ``missing_features``, ``entity_known``) and
the fail-safe rules are exercised, and an extra entity column (``row_id``) must come through.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from psycopg import sql

from ml_model_development.common_ml_utils.batch_scoring import score_batch
from ml_model_development.common_ml_utils.prediction_store import SCHEMA
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings
from ml_model_development.models.fraud_detection_xgboost.promote import promote
from ml_model_development.models.fraud_detection_xgboost.train import FraudDetectionTrainer
from mlops_common.contracts.features import FRAUD
from mlops_common.label_engine import bundled_rules_path
from mlops_common.settings import PlatformSettings

TEST_POSTGRES_DSN = os.environ.get(
    "MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
HP = {"n_estimators": 20, "max_depth": 3}


@pytest.fixture(scope="module")
def entities(platform: PlatformSettings, mlops_home: Path) -> Path:
    """A promoted fraud champion, and 600 labelled rows + 20 unknown card holders to score."""
    settings = FraudTrainingSettings(hyperparameters=HP)
    assert FraudDetectionTrainer(settings=settings, platform=platform).run().model_version
    assert promote(FraudDetectionTrainer(settings=settings, platform=platform)).promoted
    labels = pd.read_parquet(mlops_home / "labels" / "fraud_detection_labels.parquet")
    known = labels.drop(columns=[FRAUD.label]).head(600)
    unknown = known.head(20).assign(
        user_id=range(10_000_000, 10_000_020),
        event_timestamp=known["event_timestamp"].max() + pd.to_timedelta(range(1, 21), "s"),
    )
    rows = pd.concat([known, unknown], ignore_index=True)
    path = mlops_home / "spark_entities.parquet"
    rows.assign(row_id=range(len(rows))).to_parquet(path)
    return path


def _score(platform: PlatformSettings, entities: Path, out: Path, runtime: str, engine: str):
    trainer = FraudDetectionTrainer(settings=FraudTrainingSettings(), platform=platform)
    rules = bundled_rules_path(FRAUD.use_case)
    result = score_batch(trainer, entities, out, engine, rules=rules, runtime=runtime)
    return result, pd.read_parquet(out)


@pytest.mark.parametrize("engine", ["onnx", "native"])
def test_spark_gives_the_single_process_output(
    platform: PlatformSettings, mlops_home: Path, entities: Path, engine: str
) -> None:
    single, expected = _score(platform, entities, mlops_home / f"s_{engine}.parquet", "single", engine)
    spark, got = _score(platform, entities, mlops_home / f"p_{engine}.parquet", "spark", engine)
    assert (single.runtime, spark.runtime) == ("single", "spark")
    assert single.engine == spark.engine == engine and spark.rows == single.rows == 620
    assert spark.labels == single.labels
    # same file layout: one parquet file, same columns in the same order with the same dtypes
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    assert {"label", "fired_rules", "degraded", "entity_known", "row_id"} <= set(got.columns)
    # row by row, in input order; only the scoring time differs between two runs
    assert (got["score"] - expected["score"]).abs().max() <= 1e-9
    same = [c for c in expected.columns if c not in ("score", "scored_at")]
    pd.testing.assert_frame_equal(got[same], expected[same], check_exact=True)
    # the unknown card holders really exercised the read context and the fail-safe rules
    unknown = got["user_id"] >= 10_000_000
    assert (~got.loc[unknown, "entity_known"].astype(bool)).all()
    assert got.loc[unknown, "fired_rules"].str.contains("unknown_card_holder|degraded_read").any()
    assert got.loc[~unknown, "entity_known"].astype(bool).all()


def test_spark_publishes_the_day_to_postgresql(
    platform: PlatformSettings, mlops_home: Path, entities: Path
) -> None:
    servers = PlatformSettings(
        home=mlops_home,
        profile="servers",
        mlflow_tracking_uri=platform.resolved_mlflow_tracking_uri(),
        postgres_dsn=TEST_POSTGRES_DSN,
    )
    day = date(2001, 1, 2)  # a day no other test publishes
    table = sql.Identifier(SCHEMA, FRAUD.registered_model_name)
    query = sql.SQL(
        "SELECT count(*), count(DISTINCT row_id), sum(score) FROM {} WHERE partition_date = %s"
    )
    try:
        published = score_batch(
            FraudDetectionTrainer(settings=FraudTrainingSettings(), platform=servers),
            entities,
            mlops_home / "servers_spark.parquet",
            "onnx",
            partition_date=day,
            runtime="spark",
        )
        assert published.runtime == "spark"
        assert published.table == f"{SCHEMA}.{FRAUD.registered_model_name}"
        written = pd.read_parquet(mlops_home / "servers_spark.parquet")
        with psycopg.connect(TEST_POSTGRES_DSN) as conn:
            rows, distinct, total = conn.execute(query.format(table), (day,)).fetchone()
        assert (rows, distinct) == (620, 620)
        assert total == pytest.approx(written["score"].sum(), abs=1e-6)
    finally:
        with psycopg.connect(TEST_POSTGRES_DSN) as conn:
            conn.execute(sql.SQL("DELETE FROM {} WHERE partition_date = %s").format(table), (day,))
