"""A fast reader of Feast's own online-store layout (Redis and SQLite), without the Feast SDK.

The Feast SDK is far too heavy for the serving image (pandas, pyarrow, SQLAlchemy...) and adds
milliseconds per lookup, so the services read the storage layout that ``feast materialize``
writes (Feast 0.67, ``entity_key_serialization_version: 3``) directly:

* **entity key**: ``<u32 n_keys>`` then per join key ``<u32 STRING=2><u32 len><utf-8 name>``
  then per value ``<u32 type><u32 len><bytes>`` (INT64 = 4 as ``<q``, STRING = 2 as utf-8),
  all little-endian.
* **Redis**: one hash per entity at ``entity_key + project``; field ``mmh3_32("view:feature")``
  as 4 little-endian bytes holds a serialized ``feast.types.Value``; ``_ts:<view>`` the write
  time. All views of an entity share the hash, so one ``HMGET`` reads every feature.
* **SQLite**: table ``<project>_<view>`` with rows ``(entity_key, feature_name, value, ...)``.

**Window features** (the view ``user_transaction_aggregates``) are not taken from Feast's
row, which holds the aggregates as of the card holder's last payment and stops ageing; they
are computed per request over ``[at - w, at)`` from the recent payments (a Redis sorted set per
user, read in the same pipeline as the ``HMGET``, or the SQLite table ``recent_transactions``),
with :func:`mlops_common.contracts.transaction_windows.aggregate`.

Values are ``feast.types.Value`` protobufs; the few scalar kinds the contracts use are
decoded by :func:`decode_value`. Like the SDK, the reader applies no TTL on online reads and
returns ``None`` for a missing entity or feature. ``test_online_features_golden`` proves that
it returns exactly what ``FeatureStore.get_online_features`` returns for the same store.
"""

from __future__ import annotations

import sqlite3
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import mmh3

from ml_model_services.common_service_libs.resp_client import (
    PipelinedRedis,
    RedisUnavailable,
    encode_command,
)
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.transaction_windows import (
    LONGEST_WINDOW_S,
    SQLITE_TABLE,
    WINDOW_VIEW,
    aggregate,
    decode_event,
    events_key,
)

# feast.types.ValueType
_STRING, _INT64 = 2, 4


class FeatureStoreUnavailable(RuntimeError):
    """The online store could not be read (down, timeout, missing file/table)."""


def serialize_entity_key(join_key: str, value: int | str) -> bytes:
    """Feast's ``serialize_entity_key`` (version 3) for a single join key."""
    name = join_key.encode("utf-8")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"unsupported entity value type {type(value).__name__}")
    if isinstance(value, int):
        val, vtype = struct.pack("<q", value), _INT64
    else:
        val, vtype = value.encode("utf-8"), _STRING
    return b"".join(
        (
            struct.pack("<III", 1, _STRING, len(name)),
            name,
            struct.pack("<II", vtype, len(val)),
            val,
        )
    )


def redis_field(view: str, feature: str) -> bytes:
    """Feast's ``_mmh3("view:feature")``: murmur3 32-bit, unsigned, 4 bytes little-endian."""
    return struct.pack("<I", mmh3.hash(f"{view}:{feature}", signed=False))


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def decode_value(raw: bytes | None) -> Any:
    """Decode a serialized ``feast.types.Value`` holding a scalar (None when unset/null)."""
    if not raw:
        return None
    tag, pos = _varint(raw, 0)
    field, wire = tag >> 3, tag & 7
    if field == 4 and wire == 0:  # int64_val
        v, _ = _varint(raw, pos)
        return v - (1 << 64) if v >= 1 << 63 else v
    if field == 5 and wire == 1:  # double_val
        return struct.unpack_from("<d", raw, pos)[0]
    if field == 2 and wire == 2:  # string_val
        n, pos = _varint(raw, pos)
        return raw[pos : pos + n].decode("utf-8")
    if field == 3 and wire == 0:  # int32_val
        v, _ = _varint(raw, pos)
        v &= 0xFFFFFFFF
        return v - (1 << 32) if v >= 1 << 31 else v
    if field == 6 and wire == 5:  # float_val
        return struct.unpack_from("<f", raw, pos)[0]
    if field == 7 and wire == 0:  # bool_val
        v, _ = _varint(raw, pos)
        return bool(v)
    if field == 8 and wire == 0:  # unix_timestamp_val
        v, _ = _varint(raw, pos)
        return v - (1 << 64) if v >= 1 << 63 else v
    if field == 1 and wire == 2:  # bytes_val
        n, pos = _varint(raw, pos)
        return raw[pos : pos + n]
    if field == 19:  # null_val
        return None
    raise ValueError(f"unsupported feast Value field {field} (wire type {wire})")


class FeatureLayout:
    """Which stored features a model reads, grouped by feature view, in contract order.

    Features of the windowed view (``user_transaction_aggregates``) are not read from Feast's
    online store but computed at request time from the recent payments (``windowed``).
    """

    def __init__(self, contract: ModelContract) -> None:
        self.join_key = contract.entity_join_key
        stored = [(f.source, f.name) for f in contract.stored_features]
        self.windowed = any(view == WINDOW_VIEW for view, _ in stored)
        self.features = [(v, n) for v, n in stored if v != WINDOW_VIEW]
        self.views: dict[str, list[str]] = {}
        for view, name in self.features:
            self.views.setdefault(view, []).append(name)


class OnlineFeatureReader:
    """Interface: ``{feature: value | None}`` per entity id, in order."""

    kind = "none"

    def __init__(self, contract: ModelContract, project: str) -> None:
        self.layout = FeatureLayout(contract)
        self.project = project

    async def read(
        self, entity_ids: Sequence[int | str], at: Sequence[float] | None = None
    ) -> list[dict[str, Any]]:
        """Stored features per entity, window features as of ``at`` (epoch s; default now)."""
        raise NotImplementedError

    async def ping(self) -> bool:
        raise NotImplementedError

    async def close(self) -> None:  # - optional hook
        pass


class RedisFeatureReader(OnlineFeatureReader):
    """Redis online store: one ``HMGET`` per entity (all views at once), pipelined.

    ``redis://`` URLs use :class:`~.resp_client.PipelinedRedis` (one pipelined connection,
    ~20 µs per read); ``rediss://`` and ``unix://`` fall back to redis-py's asyncio client.
    """

    kind = "redis"

    def __init__(
        self, contract: ModelContract, project: str, redis_url: str, timeout_s: float = 0.1
    ) -> None:
        super().__init__(contract, project)
        self._fields = [redis_field(v, n) for v, n in self.layout.features]
        self._names = [n for _, n in self.layout.features]
        self._suffix = project.encode("utf-8")
        self._fields_tail = b"".join(b"$%d\r\n%s\r\n" % (len(f), f) for f in self._fields)
        self.fast = redis_url.startswith("redis://")
        if self.fast:
            self.client = PipelinedRedis(redis_url, timeout_s)
        else:
            import redis.asyncio as aioredis

            self.client = aioredis.Redis.from_url(
                redis_url,
                socket_timeout=timeout_s,
                socket_connect_timeout=timeout_s,
                retry_on_timeout=False,
            )

    def key(self, entity_id: int | str) -> bytes:
        return serialize_entity_key(self.layout.join_key, entity_id) + self._suffix

    def _rows(self, results: Sequence[Sequence[bytes | None]]) -> list[dict[str, Any]]:
        names = self._names
        return [{names[i]: decode_value(raw) for i, raw in enumerate(values)} for values in results]

    def _window_args(self, entity_id: int | str, at: float) -> tuple[bytes, bytes, bytes]:
        """``ZRANGEBYSCORE`` bounds of ``[at - 7d, at)`` on the entity's recent payments."""
        key = events_key(self.project, int(entity_id))
        return key, repr(at - LONGEST_WINDOW_S).encode(), b"(" + repr(at).encode()

    async def read(
        self, entity_ids: Sequence[int | str], at: Sequence[float] | None = None
    ) -> list[dict[str, Any]]:
        times = list(at) if at is not None else [time.time()] * len(entity_ids)
        windowed = self.layout.windowed
        try:
            if self.fast:
                n = len(self._fields)
                commands = []
                for e, t in zip(entity_ids, times, strict=True):
                    commands.append(self.client.hmget_command(self.key(e), self._fields_tail, n))
                    if windowed:
                        key, low, high = self._window_args(e, t)
                        commands.append(encode_command(b"ZRANGEBYSCORE", key, low, high))
                results = await self.client.execute_many(commands)
            else:
                results = await self._read_redis_py(entity_ids, times)
        except RedisUnavailable as exc:
            raise FeatureStoreUnavailable(f"redis: {exc}") from exc
        if not windowed:
            return self._rows(results)
        rows = self._rows(results[0::2])
        for row, members, t in zip(rows, results[1::2], times, strict=True):
            row.update(aggregate([decode_event(m) for m in members], t))
        return rows

    async def _read_redis_py(self, entity_ids: Sequence[int | str], times: list[float]) -> list:
        import redis.exceptions

        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for entity_id, t in zip(entity_ids, times, strict=True):
                    pipe.hmget(self.key(entity_id), self._fields)
                    if self.layout.windowed:
                        key, low, high = self._window_args(entity_id, t)
                        pipe.zrangebyscore(key, low, high)
                return await pipe.execute()
        except (redis.exceptions.RedisError, OSError) as exc:
            raise RedisUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except Exception:  # - any failure means "not reachable"
            return False

    async def close(self) -> None:
        if self.fast:
            await self.client.close()
        else:
            await self.client.aclose()


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
        events: dict[int, list] = {}
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


def make_reader(
    contract: ModelContract,
    kind: str,
    project: str,
    *,
    redis_url: str | None = None,
    sqlite_path: Path | None = None,
    timeout_s: float = 0.1,
) -> OnlineFeatureReader:
    if kind == "redis":
        if not redis_url:
            raise ValueError("redis online store needs a redis URL")
        return RedisFeatureReader(contract, project, redis_url, timeout_s)
    if kind == "sqlite":
        if sqlite_path is None:
            raise ValueError("sqlite online store needs a path")
        return SqliteFeatureReader(contract, project, sqlite_path)
    raise ValueError(f"unknown online store {kind!r}")


def as_model_inputs(
    row: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Replace missing (None/NaN) values by the contract defaults; list what was missing."""
    out: dict[str, Any] = {}
    missing: list[str] = []
    for name, value in row.items():
        if value is None or (isinstance(value, float) and value != value):
            out[name] = defaults[name]
            missing.append(name)
        else:
            out[name] = value
    return out, missing
