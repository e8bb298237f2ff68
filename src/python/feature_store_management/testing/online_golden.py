"""TEST ONLY: golden online features written and read by the Feast SDK itself.

The model services read Feast's online-store layout directly (no Feast in the serving
resolve). Their test runs this program (the ``online-golden`` PEX, features resolve) to
(1) write small feature tables with awkward values (missing entities and features, NaN,
zero averages, unknown/unicode countries, large ints, several rows per user), (2) ``feast
apply`` the real definitions of this component and materialize them into the SQLite online
store and, with ``--redis-url``, into Redis, and (3) write what
``FeatureStore.get_online_features`` returns for both feature services as JSON. The service
test then checks that its reader returns exactly these values from the same stores.

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


def _tables(users: int, now: datetime) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(11)
    ids = np.arange(1, users + 1)
    recent = [now - timedelta(hours=int(h)) for h in rng.integers(1, 48, users)]
    profile = pd.DataFrame(
        {
            "user_id": ids,
            "event_timestamp": recent,
            "account_age_days": rng.integers(0, 4000, users),
            "age": rng.integers(18, 90, users),
            "home_country": [COUNTRIES[i % len(COUNTRIES)] for i in range(users)],
            "plan": rng.choice(["basic", "standard", "premium"], users),
            "monthly_fee": rng.choice([9.99, 19.99, 39.99], users),
        }
    )
    profile.loc[profile.index[3], "account_age_days"] = 2**40  # large int64
    profile.loc[profile.index[5], "plan"] = None  # missing string feature
    agg_ids = ids[ids % 7 != 0]  # every 7th user has no aggregates (missing entity in view)
    n = len(agg_ids)
    avg = rng.gamma(2.0, 40.0, n)
    avg[::9] = 0.0  # zero average -> ratio 1.0
    aggregates = pd.DataFrame(
        {
            "user_id": agg_ids,
            "event_timestamp": [now - timedelta(minutes=int(m)) for m in rng.integers(1, 600, n)],
            "txn_count_1h": rng.poisson(0.5, n),
            "txn_count_24h": rng.poisson(4, n),
            "txn_amount_sum_24h": rng.gamma(2.0, 100.0, n),
            "txn_amount_avg_7d": avg,
            "txn_amount_max_7d": avg * rng.uniform(1.0, 4.0, n),
            "distinct_categories_7d": rng.integers(1, 6, n),
        }
    )
    aggregates.loc[aggregates.index[4], "txn_amount_sum_24h"] = np.nan
    # An older row for some users: the online store must keep the newest.
    older = aggregates.iloc[::5].copy()
    older["event_timestamp"] = older["event_timestamp"] - timedelta(days=1)
    older["txn_count_24h"] = older["txn_count_24h"] + 1000
    aggregates = pd.concat([older, aggregates], ignore_index=True)
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
        "user_transaction_aggregates": aggregates,
        "user_activity": activity,
    }


def _requests(users: int) -> dict[str, list[dict]]:
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
            }
        )
        churn.append({"user_id": uid})
    return {"fraud": fraud, "churn": churn}


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
    from feature_store_management.settings import FeatureStoreSettings
    from mlops_common.contracts.features import CHURN, FRAUD
    from mlops_common.settings import PlatformSettings, Profile

    home = Path(args.home).resolve()
    settings = FeatureStoreSettings(
        platform=PlatformSettings(home=home, profile=Profile.EMBEDDED), project=args.project
    )
    now = datetime.now(tz=UTC)
    for name, frame in _tables(args.users, now).items():
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
    requests = _requests(args.users)
    golden: dict[str, object] = {
        "project": args.project,
        "sqlite_path": str(settings.repo_dir / "data" / "online_store.db"),
        "redis_url": args.redis_url,
        "requests": requests,
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
