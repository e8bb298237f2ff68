"""Feast's SQLite online store (embedded profile), read-only, one query per feature view.

Layout: table ``<project>_<view>`` with rows ``(entity_key, feature_name, value, ...)``.
Window features are computed per request, as on Redis, from the recent payments in the table
``recent_transactions`` of ``recent_transactions.db`` next to the online store.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml_model_services.common_service_libs.feast_layout import decode_value, serialize_entity_key
from ml_model_services.common_service_libs.online_reader import (
    FeatureStoreUnavailable,
    OnlineFeatureReader,
)
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.transaction_windows import LONGEST_WINDOW_S, SQLITE_TABLE, aggregate


class SqliteFeatureReader(OnlineFeatureReader):
    """Embedded profile: Feast's SQLite online store, read-only, one query per view.

    Recent payments (window features) come from ``recent_transactions.db`` in the same folder.
    """

    kind = "sqlite"

    def __init__(self, contract: ModelContract, project: str, path: Path) -> None:
        super().__init__(contract, project)
        self.path = Path(path)
        self.recent_path = self.path.parent / "recent_transactions.db"
        self._recent_sql = (
            f"SELECT user_id, ts, amount, category FROM {SQLITE_TABLE} "
            "WHERE user_id IN ({marks}) AND ts >= ? AND ts < ?"
        )
        self._local = threading.local()
        self._queries = {
            view: (
                f'SELECT entity_key, feature_name, value FROM "{project}_{view}" '
                f"WHERE entity_key IN ({{marks}}) AND feature_name IN ({','.join('?' * len(names))})",
                names,
            )
            for view, names in self.layout.views.items()
        }

    def _conn(self, attr: str = "conn") -> sqlite3.Connection:
        conn = getattr(self._local, attr, None)
        if conn is None:
            path = self.path if attr == "conn" else self.recent_path
            if not path.is_file():
                raise FeatureStoreUnavailable(f"sqlite: no online store at {path}")
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
            setattr(self._local, attr, conn)
        return conn

    def read_sync(
        self, entity_ids: Sequence[int | str], at: Sequence[float] | None = None
    ) -> list[dict[str, Any]]:
        keys = [serialize_entity_key(self.layout.join_key, e) for e in entity_ids]
        found: dict[bytes, dict[str, Any]] = {k: {} for k in keys}
        times = list(at) if at is not None else [time.time()] * len(entity_ids)
        events: dict[int, list[Any]] = {}
        try:
            conn = self._conn()
            for query, names in self._queries.values():
                sql = query.format(marks=",".join("?" * len(keys)))
                for key, feature, value in conn.execute(sql, [*keys, *names]):
                    found[key][feature] = decode_value(value)
            if self.layout.windowed:
                users = [int(e) for e in entity_ids]
                sql = self._recent_sql.format(marks=",".join("?" * len(users)))
                bounds = (min(times) - LONGEST_WINDOW_S, max(times))
                for user, ts, amount, category in self._conn("recent").execute(
                    sql, [*users, *bounds]
                ):
                    events.setdefault(user, []).append((ts, amount, category))
        except sqlite3.Error as exc:
            self._local.conn = self._local.recent = None
            raise FeatureStoreUnavailable(f"sqlite: {exc}") from exc
        names = [n for _, n in self.layout.features]
        rows = [{n: found[k].get(n) for n in names} for k in keys]
        if self.layout.windowed:
            for row, e, t in zip(rows, entity_ids, times, strict=True):
                row.update(aggregate(events.get(int(e), ()), t))
        return rows

    async def read(
        self, entity_ids: Sequence[int | str], at: Sequence[float] | None = None
    ) -> list[dict[str, Any]]:
        # Sub-millisecond local reads: cheaper inline than a thread hop.
        return self.read_sync(entity_ids, at)

    async def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1")
            return True
        except (sqlite3.Error, FeatureStoreUnavailable):
            return False
