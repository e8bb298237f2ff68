"""A minimal pipelined Redis client for the scoring hot path (``HMGET`` and ``PING`` only).

redis-py's asyncio client costs ~150-200 µs of CPU per command here (connection-pool checkout,
command packing, a coroutine per parsed line), as much as the rest of a prediction. Online
serving needs one command per request, so this client keeps **one** connection and pipelines
every concurrent request on it: a command is written immediately and its future queued;
replies arrive in order (RESP guarantees it) and resolve the futures FIFO. No pool, no locks,
~20 µs per command.

Failure handling: any connection error or timeout fails the affected futures with
:class:`RedisUnavailable` and drops the connection; the next command reconnects. ``AUTH`` and
``SELECT`` from the URL are sent on connect. TLS (``rediss://``) and Unix sockets are not
supported here (the reader falls back to redis-py for those).
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, cast
from urllib.parse import unquote, urlparse


class RedisUnavailable(ConnectionError):
    """The Redis server could not be reached or answered with an error."""


class RedisReplyError(RedisUnavailable):
    """The server answered ``-ERR ...``."""


def _bulk(arg: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(arg), arg)


def encode_command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(_bulk(a) for a in args)


class _Incomplete(Exception):
    pass


class RespParser:
    """Incremental RESP2 parser: feed bytes, pop complete replies."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data: bytes) -> None:
        if self.pos and self.pos == len(self.buf):
            self.buf.clear()
            self.pos = 0
        self.buf += data

    def _line(self) -> bytes:
        end = self.buf.find(b"\r\n", self.pos)
        if end < 0:
            raise _Incomplete
        line = bytes(self.buf[self.pos : end])
        self.pos = end + 2
        return line

    def _value(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            end = self.pos + n
            if len(self.buf) < end + 2:
                raise _Incomplete
            value = bytes(self.buf[self.pos : end])
            self.pos = end + 2
            return value
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else self._array(n)
        if kind == b"+":
            return rest
        if kind == b":":
            return int(rest)
        if kind == b"-":
            return RedisReplyError(rest.decode("utf-8", "replace"))
        raise RedisUnavailable(f"unexpected RESP reply type {kind!r}")

    def _array(self, n: int) -> list[Any]:
        """``n`` elements; bulk strings parsed inline (a sorted-set read is dozens of them:
        2 µs each through :meth:`_value`, half that here)."""
        buf, out = self.buf, []
        for _ in range(n):
            if self.pos >= len(buf):
                raise _Incomplete
            if buf[self.pos] != 36:  # not "$": nested array, integer, error...
                out.append(self._value())
                continue
            end = buf.find(b"\r\n", self.pos)
            if end < 0:
                raise _Incomplete
            size = int(buf[self.pos + 1 : end])
            if size < 0:
                out.append(None)
                self.pos = end + 2
                continue
            start, stop = end + 2, end + 2 + size
            if len(buf) < stop + 2:
                raise _Incomplete
            out.append(bytes(buf[start:stop]))
            self.pos = stop + 2
        return out

    def pop(self) -> Any:
        """The next complete reply, or raise :class:`_Incomplete` (buffer untouched)."""
        start = self.pos
        try:
            return self._value()
        except _Incomplete:
            self.pos = start
            raise


class _Protocol(asyncio.Protocol):
    def __init__(self, client: PipelinedRedis) -> None:
        self.client = client
        self.parser = RespParser()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.client._protocol is not self:  # - a dropped connection
            return
        self.parser.feed(data)
        waiting = self.client._waiting
        while waiting:
            try:
                reply = self.parser.pop()
            except _Incomplete:
                return
            except Exception as exc:  # - protocol violation: drop the connection
                self.client._fail(RedisUnavailable(f"bad reply: {exc}"))
                return
            future = waiting.popleft()
            if future.done():  # timed out already
                continue
            if isinstance(reply, RedisReplyError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.client._protocol is self:
            self.client._fail(RedisUnavailable(f"connection lost: {exc or 'closed by server'}"))


class PipelinedRedis:
    """One pipelined connection to ``redis://[user:password@]host:port/db``."""

    def __init__(self, url: str, timeout_s: float = 0.1) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "redis":
            raise ValueError(f"PipelinedRedis supports redis:// URLs only, not {parsed.scheme}://")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 6379
        self.db = int((parsed.path or "/0").lstrip("/") or 0)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.timeout = timeout_s
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future[Any] | None = None
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._outbox: list[bytes] = []

    def _fail(self, exc: Exception) -> None:
        protocol, self._protocol = self._protocol, None
        self._outbox = []
        waiting, self._waiting = self._waiting, collections.deque()
        for future in waiting:
            if not future.done():
                future.set_exception(exc)
        if protocol is not None and protocol.transport is not None:
            protocol.transport.abort()

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: _Protocol(self), self.host, self.port),
                self.timeout,
            )
        except (TimeoutError, OSError) as exc:
            raise RedisUnavailable(f"cannot connect to {self.host}:{self.port}: {exc!r}") from exc
        setup = []
        if self.password is not None:
            auth = [self.password.encode()]
            if self.username:
                auth.insert(0, self.username.encode())
            setup.append(encode_command(b"AUTH", *auth))
        if self.db:
            setup.append(encode_command(b"SELECT", str(self.db).encode()))
        # Setup commands are written before the connection is published, so every command of
        # another request is queued after them (and runs on the right database).
        self._waiting = collections.deque()
        futures = [self._queue(protocol, command) for command in setup]
        self._protocol = protocol
        await self._wait(futures)
        return protocol

    async def _ensure(self) -> _Protocol:
        if self._protocol is not None:
            return self._protocol
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if connecting.done():
                self._connecting = None

    def _queue(self, protocol: _Protocol, command: bytes) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append(future)
        # Coalesce the commands of one event-loop tick into one write (one syscall under load).
        if not self._outbox:
            loop.call_soon(self._flush, protocol)
        self._outbox.append(command)
        return future

    def _flush(self, protocol: _Protocol) -> None:
        if protocol is not self._protocol or protocol.transport is None:
            return  # dropped meanwhile: _fail cleared the outbox and failed the futures
        data, self._outbox = b"".join(self._outbox), []
        protocol.transport.write(data)

    def _expire(self, futures: list[asyncio.Future[Any]]) -> None:
        if not all(f.done() for f in futures):
            # A late reply would now be matched to the wrong request: drop the connection.
            self._fail(RedisUnavailable(f"no reply within {self.timeout * 1000:.0f} ms"))

    async def _wait(self, futures: list[asyncio.Future[Any]]) -> list[Any]:
        # One timer per call: cheaper than asyncio.wait_for's wrapping per command.
        timer = asyncio.get_running_loop().call_later(self.timeout, self._expire, futures)
        try:
            if len(futures) == 1:
                return [await futures[0]]
            return [await f for f in futures]
        finally:
            timer.cancel()

    async def execute_many(self, commands: list[bytes]) -> list[Any]:
        """Write every command at once (one pipeline) and return their replies in order."""
        protocol = self._protocol or await self._ensure()
        return await self._wait([self._queue(protocol, c) for c in commands])

    def hmget_command(self, key: bytes, fields_tail: bytes, n_fields: int) -> bytes:
        """``HMGET key <fields>``; ``fields_tail`` = the already-encoded field arguments."""
        return b"*%d\r\n$5\r\nHMGET\r\n%s%s" % (n_fields + 2, _bulk(key), fields_tail)

    async def ping(self) -> bool:
        (reply,) = await self.execute_many([encode_command(b"PING")])
        return bool(reply == b"PONG")

    async def close(self) -> None:
        self._fail(RedisUnavailable("closed"))
