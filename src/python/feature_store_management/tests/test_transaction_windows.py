"""One definition of "as of t": planted payments at the window edges, in every implementation.

The fraud model's window features at a payment's time ``t`` cover ``[t - w, t)``. A card holder
gets payments just outside, exactly on and inside each edge, plus one at exactly ``t`` (the
payment being judged) and one a second later; the Python definition
(:func:`mlops_common.contracts.transaction_windows.aggregate`), the stream consumer, Spark and
the dbt model's SQL on both engines (DuckDB, PostgreSQL) must give the expected numbers.
"""

from __future__ import annotations

from importlib import resources

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from feature_store_management.data_source_connectors.database_connector import (
    create_engine,
    read_sql,
)
from feature_store_management.data_transformation_pipelines.dbt_runner import PROJECT_PACKAGE
from feature_store_management.data_transformation_pipelines.spark.transaction_aggregates import (
    compute_aggregates,
)
from feature_store_management.streaming.push_transaction_aggregates import TransactionAggregator
from mlops_common.contracts.transaction_windows import WINDOW_FEATURES, aggregate

T = pd.Timestamp("2026-03-10 12:00:00", tz="UTC")
S = pd.Timedelta(seconds=1)
H, D = pd.Timedelta(hours=1), pd.Timedelta(days=1)
# (transaction_id, offset from T, amount, category)
PLANTED = [
    (1, -7 * D - S, 1000.0, "travel"),  # one second too old for 7d
    (2, -7 * D, 70.0, "fuel"),  # exactly on the 7d edge: counts
    (3, -D - S, 300.0, "gaming"),  # just outside 24h
    (4, -D, 24.0, "grocery"),  # exactly on the 24h edge: counts
    (5, -H - S, 5.0, "grocery"),  # just outside 1h
    (6, -H, 10.0, "fuel"),  # exactly on the 1h edge: counts
    (7, pd.Timedelta(0), 999.0, "electronics"),  # the payment being judged: never counts
    (8, S, 5000.0, "electronics"),  # later: never counts
]
JUDGED = 7
EXPECTED = {
    "txn_count_1h": 1,
    "txn_count_24h": 3,  # 4, 5, 6
    "txn_amount_sum_24h": 24.0 + 5.0 + 10.0,
    "txn_amount_avg_7d": (70.0 + 300.0 + 24.0 + 5.0 + 10.0) / 5,
    "txn_amount_max_7d": 300.0,
    "distinct_categories_7d": 3,  # fuel, gaming, grocery
}
FIRST = dict.fromkeys(WINDOW_FEATURES, 0)  # the first payment: empty windows are zeros


def planted() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "transaction_id": [p[0] for p in PLANTED],
            "user_id": 77,
            "event_timestamp": [T + p[1] for p in PLANTED],
            "amount": [p[2] for p in PLANTED],
            "merchant_category": [p[3] for p in PLANTED],
        }
    )


def check(rows: pd.DataFrame) -> None:
    rows = rows.set_index("transaction_id")
    for name, value in EXPECTED.items():
        assert rows.loc[JUDGED, name] == pytest.approx(value), name
    for name, value in FIRST.items():
        assert rows.loc[1, name] == value, name


def test_python_definition() -> None:
    events = [((T + p[1]).timestamp(), p[2], p[3]) for p in PLANTED]
    assert aggregate(events, T.timestamp()) == pytest.approx(EXPECTED)
    assert aggregate([], T.timestamp()) == FIRST


def test_stream_consumer() -> None:
    aggregator = TransactionAggregator()
    check(pd.DataFrame([aggregator.add(e) for e in planted().to_dict("records")]))


def test_spark(spark: object) -> None:
    check(compute_aggregates(spark, planted()))


def dbt_model_sql(relation: str) -> str:
    model = (
        resources.files(PROJECT_PACKAGE) / "project/models/marts/user_transaction_aggregates.sql"
    )
    sql = model.read_text().replace("{{ ref('stg_transactions') }}", relation)
    assert "{{" not in sql, "the model gained Jinja this test does not render"
    return sql


def test_dbt_model_on_duckdb() -> None:
    with duckdb.connect() as conn:
        conn.register("planted", planted())
        check(conn.execute(dbt_model_sql("planted")).df())


def test_dbt_model_on_postgres(pg_database: str) -> None:
    engine = create_engine(pg_database)
    try:
        with engine.begin() as conn:
            planted().to_sql("planted_windows", conn, if_exists="replace", index=False)
        check(read_sql(engine, dbt_model_sql("planted_windows")))
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("drop table if exists planted_windows"))
        engine.dispose()
