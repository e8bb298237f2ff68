"""Streaming path: transaction events -> fresh rolling aggregates -> Feast push (online).

The consumer keeps each user's last 7 days of transactions (seeded from the raw table, then
extended by the stream), computes the same aggregates as the Spark job / dbt model for every
new event (windows ``[t - w, t)``: what was known before it) and pushes them through the push
source ``user_transaction_aggregates_push``, so Feast's online store holds them before the next
batch run. It also adds each event to the card holders' recent payments
(:mod:`feature_store_management.recent_transactions`), from which the APIs compute windows
ending at the request. Events are acknowledged only after both writes (at least once); a
redelivered ``transaction_id`` is skipped, so replays never double-count.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from feast import FeatureStore
from feast.data_source import PushMode

from feature_store_management.data_source_connectors.stream_consumers import StreamSource
from feature_store_management.feature_repo.feature_views.user_transaction_aggregates import (
    PUSH_SOURCE,
)
from feature_store_management.recent_transactions import RecentTransactionsWriter, rows_of
from mlops_common.contracts.transaction_windows import LONGEST_WINDOW_S, Event, aggregate
from mlops_common.progress import Progress


class TransactionAggregator:
    """Per-user 7-day history and the rolling aggregates as of each new transaction."""

    def __init__(self, history: pd.DataFrame | None = None) -> None:
        self._events: dict[int, list[Event]] = defaultdict(list)
        self._seen: set[int] = set()
        if history is not None:
            for txn_id, user, ts, amount, category in rows_of(history):
                self._seen.add(txn_id)
                self._events[user].append((ts, amount, category))

    def add(self, event: dict) -> dict | None:
        """Aggregates as of ``event``, over what came before it (``None`` if already seen)."""
        txn_id = int(event["transaction_id"])
        if txn_id in self._seen:
            return None
        self._seen.add(txn_id)
        user = int(event["user_id"])
        ts = pd.Timestamp(event["event_timestamp"])
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        at = ts.timestamp()
        events = self._events[user]
        row = {"user_id": user, "transaction_id": txn_id, "event_timestamp": ts}
        row |= aggregate(events, at)  # the event itself is not in its own windows
        events.append((at, float(event["amount"]), str(event["merchant_category"])))
        # Forget what no window can reach any more (events arrive roughly in time order).
        latest = max(e[0] for e in events)
        self._events[user] = [e for e in events if e[0] >= latest - LONGEST_WINDOW_S]
        return row


def process_batch(
    store: FeatureStore,
    source: StreamSource,
    aggregator: TransactionAggregator,
    recent: RecentTransactionsWriter | None = None,
    **read_kwargs,
) -> tuple[int, int]:
    """Read one batch, push its aggregates online, store its payments, then acknowledge it.

    Returns (messages read, rows pushed); replayed transactions are acknowledged, not pushed.
    """
    batch = source.read(**read_kwargs)
    if not batch:
        return 0, 0
    rows = [row for _, event in batch if (row := aggregator.add(event)) is not None]
    if rows:
        frame = pd.DataFrame(rows)
        frame["event_timestamp"] = frame["event_timestamp"].astype("datetime64[us, UTC]")
        store.push(PUSH_SOURCE, frame, to=PushMode.ONLINE)
        if recent is not None:
            events = pd.DataFrame([event for _, event in batch])
            recent.add(rows_of(events), now=frame["event_timestamp"].max().timestamp())
    source.ack([message_id for message_id, _ in batch])
    return len(batch), len(rows)


def run(
    store: FeatureStore,
    source: StreamSource,
    aggregator: TransactionAggregator,
    max_batches: int | None = None,
    block_ms: int = 1000,
    recent: RecentTransactionsWriter | None = None,
) -> int:
    """Consume until the stream is idle for ``block_ms`` (or ``max_batches`` were read)."""
    progress = Progress("stream user_transaction_aggregates")
    pushed = batches = 0
    while max_batches is None or batches < max_batches:
        read, n = process_batch(
            store, source, aggregator, recent, max_messages=500, block_ms=block_ms
        )
        batches += 1
        if read == 0:
            break
        pushed += n
    progress.finish(f"{pushed} row(s) pushed")
    return pushed


def main(argv: list[str] | None = None) -> int:
    """Consume a stream into the online store of the rendered repo (profile from env)."""
    import argparse

    from feature_store_management.data_generation.raw_store import read_raw
    from feature_store_management.data_source_connectors.stream_consumers import (
        KafkaStreamSource,
        RedisStreamSource,
    )
    from feature_store_management.feature_repo.store import feature_store
    from feature_store_management.settings import FeatureStoreSettings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stream", default="transactions", help="Redis stream / Kafka topic")
    parser.add_argument("--group", default="feature-store")
    parser.add_argument("--kafka-bootstrap", default=None, help="use Kafka instead of Redis")
    parser.add_argument("--follow", action="store_true", help="keep consuming when idle")
    parser.add_argument("--block-ms", type=int, default=1000)
    args = parser.parse_args(argv)
    settings = FeatureStoreSettings()
    # Every raw transaction counts as seen (replays are skipped); old ones are pruned per user.
    aggregator = TransactionAggregator(read_raw(settings, "transactions"))
    source: StreamSource = (
        KafkaStreamSource(args.kafka_bootstrap, args.stream, args.group)
        if args.kafka_bootstrap
        else RedisStreamSource(settings.platform.redis_url, args.stream, args.group)
    )
    store = feature_store(settings)
    recent = RecentTransactionsWriter(settings)
    total = 0
    try:
        while True:
            total += run(store, source, aggregator, block_ms=args.block_ms, recent=recent)
            if not args.follow:
                break
    finally:
        source.close()
        recent.close()
    print(f"stream: pushed={total}", flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
