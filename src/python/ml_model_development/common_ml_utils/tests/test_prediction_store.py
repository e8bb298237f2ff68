"""Publishing batch predictions to the real local PostgreSQL: idempotent, atomic, evolvable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pandas as pd
import psycopg
import pytest
from psycopg import sql

from ml_model_development.common_ml_utils.prediction_store import (
    PredictionStoreError,
    publish_partition,
)

DSN = os.environ.get("MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 2)


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"test_predictions_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def scored(n: int, offset: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": range(1, n + 1),
            "transaction_id": [f"t-{i}" for i in range(n)],
            "amount": [10.5 * i for i in range(n)],
            "score": [round(offset + i / (n + 1), 6) for i in range(n)],
            "prediction": [int(i % 2) for i in range(n)],
            "label": ["approve" if i % 3 else "review" for i in range(n)],
            "scored_at": pd.Timestamp(datetime(2026, 11, 2, 3, 0, tzinfo=UTC)),
        }
    )


def rows(schema: str, day: date | None = None) -> list[tuple]:
    query = sql.SQL("SELECT partition_date, user_id, score, label FROM {} {} ORDER BY 1, 2").format(
        sql.Identifier(schema, "fraud_detection_xgboost"),
        sql.SQL("WHERE partition_date = %s") if day else sql.SQL(""),
    )
    with psycopg.connect(DSN) as conn:
        return conn.execute(query, (day,) if day else ()).fetchall()


def test_rerun_replaces_the_day_and_keeps_other_days(schema: str) -> None:
    first = publish_partition(scored(50), DSN, "fraud_detection_xgboost", DAY1, schema=schema)
    assert (first.rows, first.replaced_rows) == (50, 0)
    publish_partition(scored(20), DSN, "fraud_detection_xgboost", DAY2, schema=schema)

    again = publish_partition(
        scored(40, offset=0.01), DSN, "fraud_detection_xgboost", DAY1, schema=schema
    )
    assert (again.rows, again.replaced_rows) == (40, 50)
    day1 = rows(schema, DAY1)
    assert len(day1) == 40  # replaced, not appended
    assert day1[0] == (DAY1, 1, pytest.approx(0.01), "review")
    assert len(rows(schema, DAY2)) == 20  # the other day is untouched
    assert first.table == f"{schema}.fraud_detection_xgboost"


def test_failed_publish_leaves_the_previous_rows(schema: str) -> None:
    publish_partition(scored(30), DSN, "fraud_detection_xgboost", DAY1, schema=schema)
    before = rows(schema)
    bad = scored(30)
    bad["score"] = bad["score"].astype(str) + "-not-a-number"  # text into a float column
    with pytest.raises(PredictionStoreError, match="nothing changed; fix and re-run"):
        publish_partition(bad, DSN, "fraud_detection_xgboost", DAY1, schema=schema)
    assert rows(schema) == before


def test_new_columns_are_added_and_nulls_stay_null(schema: str) -> None:
    publish_partition(scored(5), DSN, "fraud_detection_xgboost", DAY1, schema=schema)
    newer = scored(5).assign(is_foreign=[1, 0, 1, None, 0])  # a newer model's extra feature
    publish_partition(newer, DSN, "fraud_detection_xgboost", DAY2, schema=schema)
    with psycopg.connect(DSN) as conn:
        values = conn.execute(
            sql.SQL("SELECT partition_date, is_foreign FROM {} ORDER BY 1, user_id").format(
                sql.Identifier(schema, "fraud_detection_xgboost")
            )
        ).fetchall()
    assert [v for d, v in values if d == DAY1] == [None] * 5  # older rows: no value
    assert [v for d, v in values if d == DAY2] == [1.0, 0.0, 1.0, None, 0.0]


def test_unsafe_names_are_refused_before_touching_the_database(schema: str) -> None:
    with pytest.raises(PredictionStoreError, match="plain lower-case SQL identifier"):
        publish_partition(scored(2), DSN, "fraud; DROP TABLE x", DAY1, schema=schema)
    frame = scored(2).rename(columns={"score": "Score Value"})
    with pytest.raises(PredictionStoreError, match="column 'Score Value'"):
        publish_partition(frame, DSN, "fraud_detection_xgboost", DAY1, schema=schema)
    with psycopg.connect(DSN) as conn:
        exists = conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    assert exists == (0,)
