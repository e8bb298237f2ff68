"""Stream sources of transaction events behind one interface (the seed's kafka_consumer_utils).

``StreamSource.read`` returns a batch of ``(message_id, event)`` pairs and ``ack`` confirms
them after they were processed, so delivery is at least once: an event is acknowledged only
after its features reached the online store, and a crash before ``ack`` redelivers it.

* :class:`RedisStreamSource` - Redis Streams with a consumer group (``XREADGROUP``/``XACK``);
  runs on these machines and is the tested path.
* :class:`KafkaStreamSource` - the same contract on Kafka (``confluent-kafka``, imported
  lazily: no broker can run here and the package is not in the ``features`` resolve; install
  it where a broker exists).

Events are flat JSON objects: ``transaction_id``, ``user_id``, ``merchant_category``,
``amount``, ``event_timestamp`` (ISO 8601).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Protocol, cast

# redis-py annotates the sync and asyncio clients' results alike as `Awaitable[Any] | Any`;
# the sync client used here returns the value itself, so these casts only narrow.
_StreamReply = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]


class StreamSource(Protocol):
    def read(self, max_messages: int, block_ms: int) -> list[tuple[str, dict]]:
        """Up to ``max_messages`` unacknowledged events, waiting at most ``block_ms``."""

    def ack(self, message_ids: list[str]) -> None:
        """Mark events as processed."""

    def close(self) -> None: ...


class RedisStreamSource:
    """A Redis Streams consumer group reader."""

    def __init__(self, redis_url: str, stream: str, group: str, consumer: str = "c1") -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.stream, self.group, self.consumer = stream, group, consumer
        try:
            self.client.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.ResponseError as exc:  # the group already exists: keep its position
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, max_messages: int = 500, block_ms: int = 1000) -> list[tuple[str, dict]]:
        # Own pending (delivered, not acked) messages first: redelivery after a crash.
        batch = self._read("0", max_messages, None) or self._read(">", max_messages, block_ms)
        return batch

    def _read(self, start: str, count: int, block_ms: int | None) -> list[tuple[str, dict]]:
        response = cast(
            "_StreamReply | None",
            self.client.xreadgroup(
                self.group, self.consumer, {self.stream: start}, count=count, block=block_ms
            ),
        )
        out = []
        for _stream, messages in response or []:
            for message_id, fields in messages:
                out.append((message_id.decode(), json.loads(fields[b"event"])))
        return out

    def ack(self, message_ids: list[str]) -> None:
        if message_ids:
            self.client.xack(self.stream, self.group, *message_ids)

    def pending(self) -> int:
        summary = cast("dict[str, object]", self.client.xpending(self.stream, self.group))
        return int(cast(int, summary["pending"]))

    def close(self) -> None:
        self.client.close()


def publish_redis(redis_url: str, stream: str, events: Iterable[dict]) -> list[str]:
    """Append events to a Redis stream (the producer side; used by tests and demos)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return [
            cast(bytes, client.xadd(stream, {"event": json.dumps(event, default=str)})).decode()
            for event in events
        ]
    finally:
        client.close()


class KafkaStreamSource:
    """The same contract on a Kafka topic (manual commits after processing)."""

    def __init__(self, bootstrap_servers: str, topic: str, group: str) -> None:
        try:
            from confluent_kafka import Consumer  # pants: no-infer-dep
        except ImportError as exc:  # pragma: no cover - not installable without a broker here
            raise RuntimeError(
                "KafkaStreamSource needs the 'confluent-kafka' package; use "
                "RedisStreamSource where no Kafka broker is available"
            ) from exc
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self.consumer.subscribe([topic])
        self._last: list[object] = []

    def read(self, max_messages: int = 500, block_ms: int = 1000) -> list[tuple[str, dict]]:
        messages = self.consumer.consume(num_messages=max_messages, timeout=block_ms / 1000)
        out = []
        for message in messages:
            if message.error():
                raise RuntimeError(f"Kafka error: {message.error()}")
            key = f"{message.topic()}:{message.partition()}:{message.offset()}"
            out.append((key, json.loads(message.value())))
        self._last = messages
        return out

    def ack(self, message_ids: list[str]) -> None:
        if message_ids and self._last:
            self.consumer.commit(asynchronous=False)  # consumed positions, every partition

    def close(self) -> None:
        self.consumer.close()
