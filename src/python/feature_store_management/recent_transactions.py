"""Recent payments per card holder, the store the APIs aggregate window features from.

Feast's online store keeps one row per card holder: the window aggregates as of their last
payment. Served later, those values stop ageing ("1 payment in the last hour" two days on).
The APIs therefore read each card holder's payments of the last 7 days and aggregate them at
request time (:mod:`mlops_common.contracts.transaction_windows`). This module writes them:

* **servers** (Redis): one sorted set per user, ``<project>:recent_transactions:<user_id>``,
  score = epoch seconds, member = packed time and amount + ``transaction_id|category``; trimmed to
  ``RETENTION_S`` and expiring after it, so a quiet card holder's key disappears by itself;
* **embedded** (SQLite): table ``recent_transactions`` in
  ``$MLOPS_HOME/feature_repo/data/recent_transactions.db`` next to Feast's online store.

Both are filled by :func:`refresh` after every materialization (the batch path) and by the
stream consumer for each new event (:func:`RecentTransactionsWriter.add`). Writes are
idempotent per ``transaction_id`` (set member / primary key), so replays never double-count.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pandas as pd

from feature_store_management.data_generation.raw_store import read_raw
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.contracts.transaction_windows import (
    RETENTION_S,
    SQLITE_TABLE,
    encode_event,
    events_key,
)
from mlops_common.progress import Progress
from mlops_common.settings import Profile

Row = tuple[int, int, float, float, str]  # transaction_id, user_id, epoch s, amount, category


def sqlite_path(settings: FeatureStoreSettings) -> Path:
    return settings.repo_dir / "data" / "recent_transactions.db"


def rows_of(frame: pd.DataFrame) -> list[Row]:
    """Typed rows from a transactions frame (raw table or stream events)."""
    stamps = pd.to_datetime(frame["event_timestamp"], utc=True)
    seconds = (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return list(
        zip(
            frame["transaction_id"].astype("int64").tolist(),
            frame["user_id"].astype("int64").tolist(),
            seconds.astype("float64").tolist(),
            frame["amount"].astype("float64").tolist(),
            frame["merchant_category"].astype(str).tolist(),
            strict=True,
        )
    )


class RecentTransactionsWriter:
    """Adds payments to the profile's store and forgets those no window can reach."""

    def __init__(self, settings: FeatureStoreSettings) -> None:
        self.settings = settings
        self.redis = None
        self.sqlite: sqlite3.Connection | None = None
        if settings.profile == Profile.SERVERS:
            import redis

            self.redis = redis.Redis.from_url(settings.platform.redis_url)
        else:
            path = sqlite_path(settings)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.sqlite = sqlite3.connect(path)
            self.sqlite.executescript(
                f"""
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS {SQLITE_TABLE} (
                    transaction_id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL,
                    ts REAL NOT NULL,
                    amount REAL NOT NULL,
                    category TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS {SQLITE_TABLE}_user_ts
                    ON {SQLITE_TABLE} (user_id, ts);
                """
            )

    def add(self, rows: Iterable[Row], now: float) -> int:
        """Store ``rows`` newer than ``now - RETENTION_S``; trim what is older. Returns count."""
        horizon = now - RETENTION_S
        keep = [r for r in rows if r[2] >= horizon]
        if self.redis is not None:
            project = self.settings.project
            pipe = self.redis.pipeline(transaction=False)
            users: set[int] = set()
            for txn_id, user, ts, amount, category in keep:
                member = encode_event(txn_id, ts, amount, category)
                pipe.zadd(events_key(project, user), {member: ts})
                users.add(user)
            for user in users:
                key = events_key(project, user)
                pipe.zremrangebyscore(key, "-inf", f"({horizon}")
                pipe.expire(key, RETENTION_S)
            pipe.execute()
        else:
            assert self.sqlite is not None
            with self.sqlite:
                self.sqlite.executemany(
                    f"INSERT OR IGNORE INTO {SQLITE_TABLE} VALUES (?, ?, ?, ?, ?)", keep
                )
                self.sqlite.execute(f"DELETE FROM {SQLITE_TABLE} WHERE ts < ?", (horizon,))
        return len(keep)

    def close(self) -> None:
        if self.redis is not None:
            self.redis.close()
        if self.sqlite is not None:
            self.sqlite.close()


def refresh(settings: FeatureStoreSettings, end: datetime) -> int:
    """Load the raw payments of the last ``RETENTION_S`` before ``end`` (batch path)."""
    progress = Progress("recent transactions")
    transactions = read_raw(settings, "transactions")
    stamp = pd.Timestamp(end)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    stamps = pd.to_datetime(transactions["event_timestamp"], utc=True)
    recent = transactions[stamps >= stamp - pd.Timedelta(seconds=RETENTION_S)]
    now = stamp.timestamp()
    writer = RecentTransactionsWriter(settings)
    try:
        stored = writer.add(rows_of(recent), now)
    finally:
        writer.close()
    progress.finish(f"{stored} payment(s) of the last {RETENTION_S // 86400} days")
    return stored
