"""TEST ONLY: a small Feast repo shaped like the feature store's, with learnable labels.

The real repo (feature store component) lives under ``$MLOPS_HOME/feature_repo``; trainers
only rely on its contract: feature views and services named as in
``mlops_common.contracts.features`` and label tables. This fixture reproduces that contract
with a file offline store and a few hundred seeded users so training tests run in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from feast import (
    Entity,
    FeatureService,
    FeatureStore,
    FeatureView,
    Field,
    FileSource,
    RequestSource,
    ValueType,
)
from feast.feast_object import FeastObject
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import Float64, Int64, String

from mlops_common.contracts.features import CHURN, FRAUD, USER_ENTITY, USER_JOIN_KEY
from mlops_common.contracts.fraud_on_demand import fraud_request_features

CATEGORIES = ["grocery", "travel", "electronics", "gaming", "fuel"]
COUNTRIES = ["DE", "FR", "US", "NL", "BR"]
PLANS = ["basic", "standard", "premium"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FixtureRepo:
    repo_path: Path
    fraud_labels: Path
    churn_labels: Path


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


FRAUD_DAYS = 28  # label span: a 7-day out-of-time holdout leaves three weeks to train on


def _user_frames(rng: np.random.Generator, ids: np.ndarray) -> dict[str, pd.DataFrame]:
    """Profile, transaction-aggregate and activity rows of ``ids``, all stamped at T0."""
    users = len(ids)
    ts = pd.Series([T0] * users)
    profile = pd.DataFrame(
        {
            USER_JOIN_KEY: ids,
            "event_timestamp": ts,
            "account_age_days": rng.integers(1, 3000, users),
            "age": rng.integers(18, 85, users),
            "home_country": rng.choice(COUNTRIES, users, p=[0.5, 0.2, 0.2, 0.05, 0.05]),
            "plan": rng.choice(PLANS, users),
            "monthly_fee": rng.choice([9.99, 19.99, 39.99], users),
        }
    )
    avg7 = rng.gamma(2.0, 40.0, users)
    txn = pd.DataFrame(
        {
            USER_JOIN_KEY: ids,
            "event_timestamp": ts,
            "txn_count_1h": rng.poisson(0.5, users),
            "txn_count_24h": rng.poisson(4, users),
            "txn_amount_sum_24h": rng.gamma(2.0, 100.0, users),
            "txn_amount_avg_7d": avg7,
            "txn_amount_max_7d": avg7 * rng.uniform(1.0, 4.0, users),
            "distinct_categories_7d": rng.integers(1, 6, users),
        }
    )
    activity = pd.DataFrame(
        {
            USER_JOIN_KEY: ids,
            "event_timestamp": ts,
            "logins_30d": rng.poisson(10, users),
            "days_since_last_login": rng.integers(0, 60, users),
            "support_contacts_90d": rng.poisson(1, users),
            "spend_30d": rng.gamma(2.0, 50.0, users),
            "txn_count_30d": rng.poisson(20, users),
        }
    )
    # Some missing values in stored features, as real sources have.
    activity.loc[rng.random(users) < 0.05, "spend_30d"] = np.nan
    return {"profile": profile, "txn": txn, "activity": activity}


def _fraud_labels(
    rng: np.random.Generator,
    frames: dict[str, pd.DataFrame],
    rows: np.ndarray,
    start: datetime,
    minutes: int,
    first_id: int = 1,
) -> pd.DataFrame:
    """Labelled transactions of users ``rows`` (repeats allowed) in ``[start, +minutes)``,
    numbered from ``first_id`` like the real table: fraud likely for large foreign night
    purchases."""
    n = len(rows)
    home = frames["profile"].set_index(USER_JOIN_KEY)["home_country"]
    avg7 = frames["txn"].set_index(USER_JOIN_KEY)["txn_amount_avg_7d"]
    amount = rng.gamma(2.0, 40.0, n) * np.where(rng.random(n) < 0.15, 6.0, 1.0)
    country = np.where(rng.random(n) < 0.8, home.loc[rows], rng.choice(COUNTRIES, n))
    hour = rng.integers(0, 24, n)
    ratio = amount / avg7.loc[rows].to_numpy()
    foreign = country != home.loc[rows].to_numpy()
    logit = -3.0 + 1.2 * np.log1p(ratio) + 1.5 * foreign + 1.0 * (hour < 5)
    return pd.DataFrame(
        {
            "transaction_id": np.arange(first_id, first_id + n, dtype=np.int64),
            USER_JOIN_KEY: rows,
            "event_timestamp": [
                start + timedelta(minutes=int(m)) for m in rng.integers(0, minutes, n)
            ],
            "amount": amount,
            "merchant_category": rng.choice(CATEGORIES, n),
            "country": country,
            "hour_of_day": hour,
            FRAUD.label: (rng.random(n) < _sigmoid(logit)).astype(int),
        }
    )


def _churn_labels(
    rng: np.random.Generator, frames: dict[str, pd.DataFrame], at: datetime
) -> pd.DataFrame:
    """One row per user stamped at ``at`` (a snapshot), label from activity and plan."""
    activity, profile = frames["activity"], frames["profile"]
    churn_logit = (
        -1.0
        + 0.06 * activity["days_since_last_login"].to_numpy()
        - 0.15 * activity["logins_30d"].to_numpy()
        + 0.5 * activity["support_contacts_90d"].to_numpy()
        + 0.6 * (profile["plan"].to_numpy() == "basic")
    )
    return pd.DataFrame(
        {
            USER_JOIN_KEY: profile[USER_JOIN_KEY].to_numpy(),
            "event_timestamp": [at] * len(profile),
            CHURN.label: (rng.random(len(profile)) < _sigmoid(churn_logit)).astype(int),
        }
    )


def _write_data(data: Path, users: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, users + 1)
    frames = _user_frames(rng, ids)
    for name, frame in frames.items():
        frame.to_parquet(data / f"{name}.parquet", index=False)
    # Fraud labels: 3 transactions per user over FRAUD_DAYS days from T0 + 1 day.
    fraud = _fraud_labels(rng, frames, np.repeat(ids, 3), T0 + timedelta(days=1), FRAUD_DAYS * 1440)
    churn = _churn_labels(rng, frames, T0 + timedelta(days=2))
    return {"fraud": fraud, "churn": churn}


def grow_by_a_day(root: Path, new_users: int = 40, seed: int = 11) -> None:
    """The fixture one day later: new users sign up (feature rows at T0 like the others),
    a day of labelled transactions after the newest one, and the churn snapshot moves a day
    later and includes the new users (their labels, the others' kept)."""
    rng = np.random.default_rng(seed)
    data, labels = root / "feature_repo" / "data", root / "labels"
    old = {
        name: pd.read_parquet(data / f"{name}.parquet") for name in ("profile", "txn", "activity")
    }
    first = int(old["profile"][USER_JOIN_KEY].max()) + 1
    added = _user_frames(rng, np.arange(first, first + new_users))
    frames = {name: pd.concat([old[name], added[name]], ignore_index=True) for name in old}
    for name, frame in frames.items():
        frame.to_parquet(data / f"{name}.parquet", index=False)
    fraud_path = labels / f"{FRAUD.use_case}_labels.parquet"
    fraud = pd.read_parquet(fraud_path)
    last = pd.Timestamp(fraud["event_timestamp"].max()).to_pydatetime()
    ids = frames["profile"][USER_JOIN_KEY].to_numpy()
    payers = rng.choice(ids, len(fraud) // FRAUD_DAYS)
    first_id = int(fraud["transaction_id"].max()) + 1
    day = _fraud_labels(rng, frames, payers, last + timedelta(minutes=1), 1440, first_id)
    pd.concat([fraud, day], ignore_index=True).to_parquet(fraud_path, index=False)
    churn_path = labels / f"{CHURN.use_case}_labels.parquet"
    churn = pd.read_parquet(churn_path)
    at = pd.Timestamp(churn["event_timestamp"].max()).to_pydatetime() + timedelta(days=1)
    fresh = _churn_labels(rng, added, at)
    moved = churn.assign(event_timestamp=[at] * len(churn))
    pd.concat([moved, fresh], ignore_index=True).to_parquet(churn_path, index=False)


def _definitions(data: Path) -> list[FeastObject]:
    user = Entity(name=USER_ENTITY, join_keys=[USER_JOIN_KEY], value_type=ValueType.INT64)
    ttl = timedelta(days=3650)

    def source(name: str) -> FileSource:
        return FileSource(
            name=f"{name}_source",
            path=str(data / f"{name}.parquet"),
            timestamp_field="event_timestamp",
        )

    profile = FeatureView(
        name="user_profile",
        entities=[user],
        ttl=ttl,
        schema=[
            Field(name="account_age_days", dtype=Int64),
            Field(name="age", dtype=Int64),
            Field(name="home_country", dtype=String),
            Field(name="plan", dtype=String),
            Field(name="monthly_fee", dtype=Float64),
        ],
        source=source("profile"),
    )
    txn = FeatureView(
        name="user_transaction_aggregates",
        entities=[user],
        ttl=ttl,
        schema=[
            Field(name="txn_count_1h", dtype=Int64),
            Field(name="txn_count_24h", dtype=Int64),
            Field(name="txn_amount_sum_24h", dtype=Float64),
            Field(name="txn_amount_avg_7d", dtype=Float64),
            Field(name="txn_amount_max_7d", dtype=Float64),
            Field(name="distinct_categories_7d", dtype=Int64),
        ],
        source=source("txn"),
    )
    activity = FeatureView(
        name="user_activity",
        entities=[user],
        ttl=ttl,
        schema=[
            Field(name="logins_30d", dtype=Int64),
            Field(name="days_since_last_login", dtype=Int64),
            Field(name="support_contacts_90d", dtype=Int64),
            Field(name="spend_30d", dtype=Float64),
            Field(name="txn_count_30d", dtype=Int64),
        ],
        source=source("activity"),
    )
    request = RequestSource(
        name="fraud_transaction_request",
        schema=[
            Field(name="amount", dtype=Float64),
            Field(name="merchant_category", dtype=String),
            Field(name="country", dtype=String),
            Field(name="hour_of_day", dtype=Int64),
        ],
    )
    odfv = on_demand_feature_view(
        sources=[txn, profile, request],
        schema=[
            Field(name="amount_to_avg_7d_ratio", dtype=Float64),
            Field(name="is_foreign", dtype=Int64),
        ],
        mode="pandas",
    )(fraud_request_features)
    fraud_service = FeatureService(
        name=FRAUD.feature_service,
        features=[txn, profile[["account_age_days", "age", "home_country"]], odfv],
    )
    churn_service = FeatureService(
        name=CHURN.feature_service,
        features=[profile[["account_age_days", "age", "plan", "monthly_fee"]], activity],
    )
    return [user, profile, txn, activity, request, odfv, fraud_service, churn_service]


def build_fixture_repo(root: Path, users: int = 400, seed: int = 7) -> FixtureRepo:
    """Write data, ``feature_store.yaml`` and apply the definitions; return the paths."""
    repo = root / "feature_repo"
    data = repo / "data"
    data.mkdir(parents=True)
    labels = _write_data(data, users, seed)
    (repo / "feature_store.yaml").write_text(
        "project: mlops_training_fixture\n"
        f"registry: {data / 'registry.db'}\n"
        "provider: local\n"
        "offline_store:\n  type: file\n"
        f"online_store:\n  type: sqlite\n  path: {data / 'online.db'}\n"
        "entity_key_serialization_version: 3\n"
    )
    FeatureStore(repo_path=str(repo)).apply(_definitions(data))
    label_dir = root / "labels"
    label_dir.mkdir()
    fraud_path = label_dir / f"{FRAUD.use_case}_labels.parquet"
    churn_path = label_dir / f"{CHURN.use_case}_labels.parquet"
    labels["fraud"].to_parquet(fraud_path, index=False)
    labels["churn"].to_parquet(churn_path, index=False)
    return FixtureRepo(repo, fraud_path, churn_path)
