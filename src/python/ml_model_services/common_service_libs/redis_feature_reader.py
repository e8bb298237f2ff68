"""Feast's Redis online store, read with one pipelined ``HMGET`` per entity.

Layout: one hash per entity at ``entity_key + project``; field ``mmh3_32("view:feature")``
holds a serialized ``feast.types.Value``, ``_ts:<view>`` the write time. All views of an
entity share the hash, so one ``HMGET`` reads every feature.

**Window features** (the view ``user_transaction_aggregates``) are not taken from Feast's
row, which holds the aggregates as of the card holder's last payment and stops ageing; they
are computed per request over ``[at - w, at)`` from the recent payments (a sorted set per
user, read in the same pipeline as the ``HMGET``) with
:func:`mlops_common.contracts.transaction_windows.aggregate`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ml_model_services.common_service_libs.feast_layout import (
    decode_value,
    redis_field,
    serialize_entity_key,
)
from ml_model_services.common_service_libs.online_reader import (
    FeatureStoreUnavailable,
    OnlineFeatureReader,
)
from ml_model_services.common_service_libs.resp_client import (
    PipelinedRedis,
    RedisUnavailable,
    encode_command,
)
from mlops_common.contracts.features import ModelContract
from mlops_common.contracts.transaction_windows import (
    LONGEST_WINDOW_S,
    aggregate,
    decode_event,
    events_key,
)


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
        # One of the two: the pipelined RESP client, or redis-py's asyncio client.
        self._pipelined: PipelinedRedis | None = None
        # Any: redis-py annotates keys as str and async results as `Awaitable[T] | T`, while
        # this fallback passes Feast's bytes keys (which redis-py accepts) and awaits results.
        self._aio: Any = None
        if self.fast:
            self._pipelined = PipelinedRedis(redis_url, timeout_s)
        else:
            from redis.asyncio import Redis

            self._aio = Redis.from_url(
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
            if self._pipelined is not None:
                client, n = self._pipelined, len(self._fields)
                commands = []
                for e, t in zip(entity_ids, times, strict=True):
                    commands.append(client.hmget_command(self.key(e), self._fields_tail, n))
                    if windowed:
                        key, low, high = self._window_args(e, t)
                        commands.append(encode_command(b"ZRANGEBYSCORE", key, low, high))
                results = await client.execute_many(commands)
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

    async def _read_redis_py(
        self, entity_ids: Sequence[int | str], times: list[float]
    ) -> list[Any]:
        import redis.exceptions

        assert self._aio is not None
        try:
            async with self._aio.pipeline(transaction=False) as pipe:
                for entity_id, t in zip(entity_ids, times, strict=True):
                    pipe.hmget(self.key(entity_id), self._fields)
                    if self.layout.windowed:
                        key, low, high = self._window_args(entity_id, t)
                        pipe.zrangebyscore(key, low, high)
                return list(await pipe.execute())
        except (redis.exceptions.RedisError, OSError) as exc:
            raise RedisUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def ping(self) -> bool:
        try:
            if self._pipelined is not None:
                return await self._pipelined.ping()
            assert self._aio is not None
            return bool(await self._aio.ping())
        except Exception:  # - any failure means "not reachable"
            return False

    async def close(self) -> None:
        if self._pipelined is not None:
            await self._pipelined.close()
        elif self._aio is not None:
            await self._aio.aclose()
