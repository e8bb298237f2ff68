"""PySpark job: per-user rolling transaction aggregates as of every transaction.

Windows are ``[t - window, t)`` over event time in whole seconds (``rangeBetween(-w, -1)``):
what was known strictly before the transaction, the definition of
``mlops_common.contracts.transaction_windows`` that the dbt model ``user_transaction_aggregates``
and the stream consumer share (tests prove all three give the same numbers); an empty window
gives 0. Local mode by default; ``--master spark://host:7077`` runs it on a cluster.
"""

from __future__ import annotations

import argparse
import os

import pandas as pd

from feature_store_management.data_generation.raw_store import read_raw
from feature_store_management.feature_tables import write_feature_table
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.contracts.transaction_windows import (
    DAY_S,
    HOUR_S,
    LONGEST_WINDOW_S,
    WINDOW_FEATURES,
    WINDOW_VIEW,
)
from mlops_common.progress import Progress

FEATURE_VIEW = WINDOW_VIEW
FEATURE_COLUMNS = WINDOW_FEATURES


def spark_session(master: str):
    """A small local-friendly session: UTC, no UI, few shuffle partitions."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("user_transaction_aggregates")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def compute_aggregates(spark, transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per transaction: ``user_id``, ``transaction_id``, ``event_timestamp`` + features."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ts = pd.to_datetime(transactions["event_timestamp"], utc=True)
    epoch = (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    slim = pd.DataFrame(
        {
            "transaction_id": transactions["transaction_id"].astype("int64"),
            "user_id": transactions["user_id"].astype("int64"),
            "ts": epoch.astype("int64"),
            "amount": transactions["amount"].astype("float64"),
            "merchant_category": transactions["merchant_category"].astype(str),
        }
    )
    df = spark.createDataFrame(slim)
    by_user = Window.partitionBy("user_id").orderBy("ts")
    # Whole-second event times: [t - w, t - 1] is [t - w, t).
    w1h = by_user.rangeBetween(-HOUR_S, -1)
    w24h = by_user.rangeBetween(-DAY_S, -1)
    w7d = by_user.rangeBetween(-LONGEST_WINDOW_S, -1)
    zero = F.lit(0.0)
    result = df.select(
        "transaction_id",
        "user_id",
        F.count("*").over(w1h).alias("txn_count_1h"),
        F.count("*").over(w24h).alias("txn_count_24h"),
        F.coalesce(F.sum("amount").over(w24h), zero).alias("txn_amount_sum_24h"),
        F.coalesce(F.avg("amount").over(w7d), zero).alias("txn_amount_avg_7d"),
        F.coalesce(F.max("amount").over(w7d), zero).alias("txn_amount_max_7d"),
        F.size(F.collect_set("merchant_category").over(w7d)).alias("distinct_categories_7d"),
    ).toPandas()
    stamps = pd.DataFrame({"transaction_id": slim["transaction_id"], "event_timestamp": ts})
    out = result.merge(stamps, on="transaction_id", how="inner")
    for column in ("txn_count_1h", "txn_count_24h", "distinct_categories_7d"):
        out[column] = out[column].astype("int64")
    return out[["user_id", "transaction_id", "event_timestamp", *FEATURE_COLUMNS]].sort_values(
        "transaction_id", ignore_index=True
    )


def run(settings: FeatureStoreSettings, master: str | None = None, spark=None) -> int:
    """Read raw transactions, compute the aggregates, write the Feast feature table.

    ``spark``: an existing session to reuse (left running); by default one is started on
    ``master`` and stopped afterwards.
    """
    progress = Progress("spark user_transaction_aggregates")
    transactions = read_raw(settings, "transactions")
    own_session = spark is None
    if own_session:
        spark = spark_session(master or settings.spark_master)
    try:
        features = compute_aggregates(spark, transactions)
    finally:
        if own_session:
            spark.stop()
    rows = write_feature_table(settings, FEATURE_VIEW, features)
    progress.finish(f"{rows} rows -> {FEATURE_VIEW}")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--master", default=None, help="Spark master (default local[1])")
    args = parser.parse_args(argv)
    run(FeatureStoreSettings(), args.master)


if __name__ == "__main__":
    main()
