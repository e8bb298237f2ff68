"""TEST ONLY: golden online features written and read by the Feast SDK itself.

The model services read Feast's online-store layout directly (no Feast in the serving
resolve). Their test runs this program (the ``online-golden`` PEX, features resolve) to
(1) write small feature tables with awkward values (missing entities and features, NaN,
zero averages, unknown/unicode countries, large ints, several rows per user), (2) ``feast
apply`` the real definitions of this component and materialize them into the SQLite online
store and, with ``--redis-url``, into Redis, and (3) write what
``FeatureStore.get_online_features`` returns for both feature services as JSON. The service
test then checks that its reader returns exactly these values from the same stores.

Window features are served from the card holders' recent payments, not from Feast's online
row, so the program also generates payments (some card holders with none, some whose last
payment was two days ago, some with a burst in the last hour), derives the aggregates table
from them with the stream consumer's definition, stores them in both recent-payment stores, and
writes (4) the window features at ``now`` computed by brute force (pandas, independent of
the serving code) and (5) **skew cases**: sampled payments with the features Feast's
point-in-time join gives for them offline, which the API must reproduce value by value when
asked with the payment's own ``event_timestamp``.

    online-golden --home DIR --project NAME --out golden.json [--redis-url redis://...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

MISSING_USER = 999_999
COUNTRIES = ["DE", "FR", "US", "NL", "unknown", "ÖS"]
CATEGORIES = ["grocery", "travel", "electronics", "gambling"]


def payments(users: int, now: datetime) -> pd.DataFrame:
    """Payments of the last 9 days (half of them in the last day, where the API answers
    replays); every 7th user has none, every 10th (+3) none in the last 2 days."""
    rng = np.random.default_rng(13)
    rows = []
    for uid in range(1, users + 1):
        if uid % 7 == 0:
            continue
        n = int(rng.integers(1, 9))
        if uid % 10 == 3:  # quiet: the last payment exactly two days ago, the others older
            older = rng.choice(np.arange(2 * 86400 + 1, 9 * 86400), n - 1, replace=False)
            ages = np.concatenate([[2 * 86400], older])
        else:  # disjoint ranges, so no card holder pays twice in the same second
            k = int(rng.binomial(n, 0.5))
            ages = np.concatenate(
                [
                    rng.choice(np.arange(3600, 86400 - 600), k, replace=False),
                    rng.choice(np.arange(86400, 9 * 86400), n - k, replace=False),
                ]
            )
            if uid % 5 == 1:  # a burst in the last hour
                ages[: min(n, 3)] = rng.choice(np.arange(60, 3600), min(n, 3), replace=False)
        for age in ages:
            rows.append(
                {
                    "user_id": uid,
                    "event_timestamp": now - timedelta(seconds=int(age)),
                    "amount": float(np.round(rng.gamma(2.0, 40.0), 2)),
                    "merchant_category": CATEGORIES[int(rng.integers(0, len(CATEGORIES)))],
                }
            )
    frame = pd.DataFrame(rows).sort_values("event_timestamp", ignore_index=True)
    frame.insert(0, "transaction_id", np.arange(1, len(frame) + 1))
    return frame


def aggregates_of(paid: pd.DataFrame) -> pd.DataFrame:
    """The feature table as of each payment (the stream consumer = Spark = dbt definition)."""
    from feature_store_management.streaming.push_transaction_aggregates import (
        TransactionAggregator,
    )

    aggregator = TransactionAggregator()
    return pd.DataFrame([aggregator.add(e) for e in paid.to_dict("records")])


def brute_force_windows(paid: pd.DataFrame, user: int, at: datetime) -> dict[str, float]:
    """Window features of ``user`` over ``[at - w, at)``, written independently of serving."""
    mine = paid[paid.user_id == user]
    age = (pd.Timestamp(at) - mine.event_timestamp).dt.total_seconds()
    h1, d1, d7 = (mine[(age > 0) & (age <= w)] for w in (3600, 86400, 7 * 86400))
    return {
        "txn_count_1h": len(h1),
        "txn_count_24h": len(d1),
        "txn_amount_sum_24h": float(d1.amount.sum()),
        "txn_amount_avg_7d": float(d7.amount.mean()) if len(d7) else 0.0,
        "txn_amount_max_7d": float(d7.amount.max()) if len(d7) else 0.0,
        "distinct_categories_7d": int(d7.merchant_category.nunique()),
    }


def _tables(users: int, now: datetime, paid: pd.DataFrame) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(11)
    ids = np.arange(1, users + 1)
    recent = [now - timedelta(hours=int(h)) for h in rng.integers(1, 48, users)]
    profile = pd.DataFrame(
        {
            "user_id": ids,
            # Older than every payment: the point-in-time join finds it for each of them.
            "event_timestamp": [now - timedelta(days=20, hours=int(h)) for h in range(users)],
            "account_age_days": rng.integers(0, 4000, users),
            "age": rng.integers(18, 90, users),
            "home_country": [COUNTRIES[i % len(COUNTRIES)] for i in range(users)],
            "plan": rng.choice(["basic", "standard", "premium"], users),
            "monthly_fee": rng.choice([9.99, 19.99, 39.99], users),
        }
    )
    profile.loc[profile.index[3], "account_age_days"] = 2**40  # large int64
    profile.loc[profile.index[5], "plan"] = None  # missing string feature
    activity = pd.DataFrame(
        {
            "user_id": ids,
            "event_timestamp": recent,
            "logins_30d": rng.poisson(10, users),
            "days_since_last_login": rng.integers(0, 60, users),
            "support_contacts_90d": rng.poisson(1, users),
            "spend_30d": rng.gamma(2.0, 50.0, users),
            "txn_count_30d": rng.poisson(20, users),
        }
    )
    activity.loc[activity.index[::6], "spend_30d"] = np.nan
    return {
        "user_profile": profile,
        "user_transaction_aggregates": aggregates_of(paid),
        "user_activity": activity,
    }


def _requests(users: int, now: datetime) -> dict[str, list[dict]]:
    rng = np.random.default_rng(5)
    fraud, churn = [], []
    for uid in [*range(1, users + 1), MISSING_USER]:
        fraud.append(
            {
                "user_id": uid,
                "amount": float(np.round(rng.gamma(2.0, 60.0), 2)) if uid % 4 else 0.0,
                "merchant_category": CATEGORIES[uid % len(CATEGORIES)],
                "country": COUNTRIES[(uid * 3) % len(COUNTRIES)],
                "hour_of_day": int(uid % 24),
                "event_timestamp": now.isoformat(),  # windows end here, not when the test runs
            }
        )
        churn.append({"user_id": uid})
    return {"fraud": fraud, "churn": churn}


def skew_cases(store, paid: pd.DataFrame, n: int = 40) -> list[dict]:
    """Sampled payments as API requests + what the offline point-in-time join gives them."""
    from feature_store_management.feature_repo.retrieval import training_frame
    from mlops_common.contracts.features import FRAUD

    rng = np.random.default_rng(17)
    # The API answers decision times up to a day back (its payments cover 8 days, windows 7).
    now = paid.event_timestamp.max()
    replayable = paid[paid.event_timestamp >= now - pd.Timedelta(hours=23)]
    sample = replayable.sample(n=min(n, len(replayable)), random_state=17).reset_index(drop=True)
    entity = pd.DataFrame(
        {
            "user_id": sample.user_id,
            "event_timestamp": sample.event_timestamp,
            "amount": sample.amount,
            "merchant_category": sample.merchant_category,
            "country": rng.choice(["DE", "FR", "US", "NL"], len(sample)),
            "hour_of_day": sample.event_timestamp.dt.hour,
        }
    )
    offline = training_frame(store, entity, FRAUD.feature_service)
    served = [f.name for f in FRAUD.features if f.source != "request"]
    cases = []
    for i, row in entity.iterrows():
        request = {
            "user_id": int(row["user_id"]),
            "amount": float(row["amount"]),
            "merchant_category": str(row["merchant_category"]),
            "country": str(row["country"]),
            "hour_of_day": int(row["hour_of_day"]),
            "event_timestamp": row["event_timestamp"].isoformat(),
        }
        values = {name: offline.loc[i, name] for name in served}
        cases.append(
            {
                "request": request,
                "offline": {k: None if pd.isna(v) else _plain(v) for k, v in values.items()},
            }
        )
    return cases


def _plain(value: object) -> object:
    """numpy scalars -> Python (JSON) values."""
    return value.item() if isinstance(value, np.generic) else value


def _read(store, service: str, rows: list[dict]) -> dict[str, list]:
    response = store.get_online_features(
        features=store.get_feature_service(service), entity_rows=rows
    )
    return {k: list(v) for k, v in response.to_dict().items()}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("FEAST_USAGE", "False")
    parser = argparse.ArgumentParser(prog="online-golden")
    parser.add_argument("--home", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--users", type=int, default=40)
    args = parser.parse_args(argv)

    from feast import FeatureStore

    from feature_store_management.feature_repo.definitions import build_objects
    from feature_store_management.feature_repo.render import redis_connection_string
    from feature_store_management.feature_repo.store import apply
    from feature_store_management.feature_tables import write_feature_table
    from feature_store_management.recent_transactions import RecentTransactionsWriter, rows_of
    from feature_store_management.settings import FeatureStoreSettings
    from mlops_common.contracts.features import CHURN, FRAUD
    from mlops_common.settings import PlatformSettings, Profile

    home = Path(args.home).resolve()
    settings = FeatureStoreSettings(
        platform=PlatformSettings(home=home, profile=Profile.EMBEDDED), project=args.project
    )
    now = datetime.now(tz=UTC).replace(microsecond=0)
    paid = payments(args.users, now)
    for name, frame in _tables(args.users, now, paid).items():
        write_feature_table(settings, name, frame)
    start, end = datetime(2000, 1, 1, tzinfo=UTC), now + timedelta(minutes=1)
    stores = {"sqlite": apply(settings)}
    if args.redis_url:
        repo = home / "feature_repo_redis"
        (repo / "data").mkdir(parents=True, exist_ok=True)
        (repo / "feature_store.yaml").write_text(
            f"project: {args.project}\n"
            "provider: local\n"
            f"registry: {repo / 'data' / 'registry.db'}\n"
            "online_store:\n  type: redis\n"
            f'  connection_string: "{redis_connection_string(args.redis_url)}"\n'
            "offline_store:\n  type: file\n"
            "entity_key_serialization_version: 3\n"
        )
        redis_store = FeatureStore(repo_path=str(repo))
        redis_store.apply(build_objects(settings))
        stores["redis"] = redis_store
    recent_settings = [settings]
    if args.redis_url:
        recent_settings.append(
            FeatureStoreSettings(
                platform=PlatformSettings(
                    home=home, profile=Profile.SERVERS, redis_url=args.redis_url
                ),
                project=args.project,
            )
        )
    for each in recent_settings:
        writer = RecentTransactionsWriter(each)
        try:
            writer.add(rows_of(paid), now.timestamp())
        finally:
            writer.close()
    requests = _requests(args.users, now)
    golden: dict[str, object] = {
        "project": args.project,
        "sqlite_path": str(settings.repo_dir / "data" / "online_store.db"),
        "redis_url": args.redis_url,
        "requests": requests,
        "now": now.timestamp(),
        "windows_now": [brute_force_windows(paid, r["user_id"], now) for r in requests["fraud"]],
        "quiet_users": sorted({u for u in paid.user_id if u % 10 == 3}),
        "skew_cases": skew_cases(stores["sqlite"], paid),
    }
    for kind, store in stores.items():
        store.materialize(start_date=start, end_date=end)
        golden[kind] = {
            "fraud": _read(store, FRAUD.feature_service, requests["fraud"]),
            "churn": _read(store, CHURN.feature_service, requests["churn"]),
        }
    Path(args.out).write_text(json.dumps(golden, default=str))
    print(json.dumps({"out": args.out, "stores": sorted(stores)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
