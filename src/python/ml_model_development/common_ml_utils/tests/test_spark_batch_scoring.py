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

# the Spark runtime is loaded by name (batch_runtime); importing it puts pyspark in this
# test's environment, as spark_cli.py does for the batch-scoring-spark PEX
from ml_model_development.common_ml_utils import spark_batch_scoring  # noqa: F401
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


DAY = date(2001, 1, 2)  # a PostgreSQL partition no other test publishes
TABLE = sql.Identifier(SCHEMA, FRAUD.registered_model_name)


def _score(platform: PlatformSettings, entities: Path, out: Path, runtime: str, engine: str):
    trainer = FraudDetectionTrainer(settings=FraudTrainingSettings(), platform=platform)
    rules = bundled_rules_path(FRAUD.use_case)
    day = DAY if platform.profile == "servers" else None
    result = score_batch(trainer, entities, out, engine, rules=rules, partition_date=day,
                         runtime=runtime)  # fmt: skip
    return result, pd.read_parquet(out)


def _published(written: pd.DataFrame) -> None:
    """The Spark run replaced the day's PostgreSQL rows with exactly the rows it wrote."""
    query = sql.SQL("SELECT count(*), count(DISTINCT row_id), sum(score), "
                    "count(*) FILTER (WHERE label = 'block') FROM {} WHERE partition_date = %s")  # fmt: skip
    with psycopg.connect(TEST_POSTGRES_DSN) as conn:
        found = conn.execute(query.format(TABLE), (DAY,)).fetchone()
    assert found is not None
    rows, distinct, total, blocked = found
    assert (rows, distinct) == (len(written), len(written))
    assert blocked == int((written["label"] == "block").sum())
    assert total == pytest.approx(written["score"].sum(), abs=1e-6)


# ONNX Runtime's tree ensemble sums per-thread partial sums in float32: the single process
# runs ORT's default threads, Spark tasks one thread each, so an ONNX probability may differ
# in its last float32 bit (seen: 1.19e-7); native boosters sum trees in a fixed order.
SCORE_TOLERANCE = {"native": 1e-9, "onnx": 2.5e-7}


@pytest.mark.parametrize("engine", ["onnx", "native"])
def test_spark_gives_the_single_process_output(
    platform: PlatformSettings, mlops_home: Path, entities: Path, engine: str
) -> None:
    servers = PlatformSettings(
        home=mlops_home,
        profile="servers",
        mlflow_tracking_uri=platform.resolved_mlflow_tracking_uri(),
        postgres_dsn=TEST_POSTGRES_DSN,
    )
    # the ONNX Spark run also publishes its day to PostgreSQL (servers profile)
    spark_platform = servers if engine == "onnx" else platform
    single, expected = _score(
        platform, entities, mlops_home / f"s_{engine}.parquet", "single", engine
    )
    try:
        spark, got = _score(spark_platform, entities, mlops_home / f"p_{engine}.parquet", "spark",
                            engine)  # fmt: skip
        if engine == "onnx":
            assert spark.table == f"{SCHEMA}.{FRAUD.registered_model_name}"
            _published(got)
    finally:
        with psycopg.connect(TEST_POSTGRES_DSN) as conn:
            exists = conn.execute(
                "SELECT to_regclass(%s)", (f"{SCHEMA}.{FRAUD.registered_model_name}",)
            )
            if (exists.fetchone() or (None,))[0] is not None:
                delete = sql.SQL("DELETE FROM {} WHERE partition_date = %s").format(TABLE)
                conn.execute(delete, (DAY,))
    assert (single.runtime, spark.runtime) == ("single", "spark")
    assert single.engine == spark.engine == engine and spark.rows == single.rows == 620
    assert spark.labels == single.labels
    # same file layout: one parquet file, same columns in the same order with the same dtypes
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    assert {"label", "fired_rules", "degraded", "entity_known", "row_id"} <= set(got.columns)
    # row by row, in input order; only the scoring time differs between two runs
    assert (got["score"] - expected["score"]).abs().max() <= SCORE_TOLERANCE[engine]
    same = [c for c in expected.columns if c not in ("score", "scored_at")]
    pd.testing.assert_frame_equal(got[same], expected[same], check_exact=True)
    # the unknown card holders really exercised the read context and the fail-safe rules
    unknown = got["user_id"] >= 10_000_000
    assert (~got.loc[unknown, "entity_known"].astype(bool)).all()
    assert got.loc[unknown, "fired_rules"].str.contains("unknown_card_holder|degraded_read").any()
    assert got.loc[~unknown, "entity_known"].astype(bool).all()
