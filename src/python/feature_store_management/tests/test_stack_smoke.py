"""The feature-engineering resolve's key packages work together on this machine."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from feature_store_management.data_source_connectors.database_connector import (
    create_engine,
    read_sql,
    source_url,
    write_frame,
)

PG_DSN = os.environ.get("MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def test_connector_roundtrip_postgres_and_duckdb(tmp_path: Path) -> None:
    frame = pd.DataFrame({"user_id": [1, 2, 3], "amount": [10.5, 20.0, 3.25]})
    for url in (PG_DSN, f"duckdb:///{tmp_path / 'w.duckdb'}"):
        engine = create_engine(url)
        assert write_frame(engine, frame, "smoke_connector") == 3
        back = read_sql(
            engine, "select sum(amount) as s from smoke_connector where user_id > :u", {"u": 1}
        )
        assert back["s"].iloc[0] == pytest.approx(23.25)


def test_source_url_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_SOURCE_NOPE_URL", raising=False)
    with pytest.raises(LookupError, match="MLOPS_SOURCE_NOPE_URL"):
        source_url("nope", ini_path=tmp_path / "missing.ini")
    monkeypatch.setenv("MLOPS_SOURCE_NOPE_URL", "duckdb:///x")
    assert source_url("nope") == "duckdb:///x"


def test_feast_apply_materialize_and_read_online(tmp_path: Path) -> None:
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource
    from feast.repo_config import RepoConfig
    from feast.types import Float32

    now = datetime.now(tz=UTC).replace(microsecond=0)
    data = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "spend_7d": [5.0, 7.5, 1.0],
            "event_timestamp": [
                now - timedelta(hours=3),
                now - timedelta(hours=1),
                now - timedelta(hours=2),
            ],
        }
    )
    data.to_parquet(tmp_path / "spend.parquet")
    store = FeatureStore(
        config=RepoConfig(
            project="smoke",
            provider="local",
            registry=str(tmp_path / "registry.db"),
            online_store={"type": "sqlite", "path": str(tmp_path / "online.db")},
            offline_store={"type": "file"},
            entity_key_serialization_version=3,
            repo_path=str(tmp_path),
        )
    )
    user = Entity(name="user", join_keys=["user_id"])
    view = FeatureView(
        name="user_spend",
        entities=[user],
        ttl=timedelta(days=1),
        schema=[Field(name="spend_7d", dtype=Float32)],
        source=FileSource(path=str(tmp_path / "spend.parquet"), timestamp_field="event_timestamp"),
    )
    store.apply([user, view])
    store.materialize(now - timedelta(days=1), now + timedelta(minutes=1))
    online = store.get_online_features(
        features=["user_spend:spend_7d"],
        entity_rows=[{"user_id": 1}, {"user_id": 2}, {"user_id": 9}],
    ).to_dict()
    assert online["spend_7d"] == [7.5, 1.0, None]


def test_dbt_runs_a_model_on_duckdb(tmp_path: Path) -> None:
    from dbt.cli.main import dbtRunner

    project = tmp_path / "proj"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: smoke\nversion: '1.0'\nconfig-version: 2\nprofile: smoke\n"
    )
    (project / "profiles.yml").write_text(
        f"smoke:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: {tmp_path / 'dbt.duckdb'}\n"
    )
    (project / "models" / "daily.sql").write_text(
        "select 1 as user_id, 10.0 as amount union all select 1, 5.0 union all select 2, 1.0"
    )
    (project / "models" / "spend.sql").write_text(
        "select user_id, sum(amount) as total from {{ ref('daily') }} group by 1"
    )
    os.environ["DO_NOT_TRACK"] = "1"
    result = dbtRunner().invoke(
        [
            "run",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--log-path",
            str(tmp_path / "logs"),
            "--target-path",
            str(tmp_path / "target"),
        ]
    )
    assert result.success, result.exception
    import duckdb

    with duckdb.connect(str(tmp_path / "dbt.duckdb")) as conn:
        rows = conn.execute("select user_id, total from spend order by 1").fetchall()
    assert rows == [(1, 15.0), (2, 1.0)]


def test_spark_local_mode_window_aggregate() -> None:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("smoke")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    try:
        df = spark.createDataFrame([(1, 10.0), (1, 5.0), (2, 1.0)], ["user_id", "amount"])
        rows = {
            r.user_id: r.total
            for r in df.groupBy("user_id").agg(F.sum("amount").alias("total")).collect()
        }
        assert rows == {1: 15.0, 2: 1.0}
    finally:
        spark.stop()
