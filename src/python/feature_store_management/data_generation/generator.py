"""Reproducible raw data with real-world-like label signal.

Fraud comes in *episodes*: a compromised card shows a velocity burst of several transactions
within minutes, often at night, in a foreign country, in categories the user never buys,
for amounts far above the user's norm. Churn follows low engagement, support contacts,
short tenure and expensive plans. The same ``seed`` and sizes always give the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

CATEGORIES = (
    "grocery",
    "restaurants",
    "fuel",
    "travel",
    "electronics",
    "fashion",
    "entertainment",
    "health",
    "utilities",
    "gambling",
)
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "PL")
COUNTRY_WEIGHTS = (0.35, 0.15, 0.12, 0.1, 0.08, 0.08, 0.07, 0.05)
PLANS = {"basic": 9.99, "standard": 14.99, "premium": 24.99}
FRAUD_TXN_SHARE = 0.02


def generate_customers(n_users: int, as_of: datetime, days: int, seed: int) -> pd.DataFrame:
    """One row per user; a few demographics are messy on purpose (the ETL cleans them)."""
    rng = np.random.default_rng(seed)
    user_id = np.arange(1, n_users + 1)
    window_start = as_of - timedelta(days=days)
    tenure_days = rng.uniform(1, 1500, n_users)
    signup = pd.Timestamp(window_start) - pd.to_timedelta(tenure_days, unit="D")
    age = np.clip(rng.normal(42, 14, n_users), 18, 90).round().astype(int)
    messy_age = rng.random(n_users) < 0.01
    age[messy_age] = rng.choice([0, 150, -1], messy_age.sum())
    country = rng.choice(COUNTRIES, n_users, p=COUNTRY_WEIGHTS).astype(object)
    messy_country = rng.random(n_users) < 0.02
    country[messy_country] = [f" {c.lower()} " for c in country[messy_country]]
    plan = rng.choice(list(PLANS), n_users, p=(0.5, 0.35, 0.15))
    engagement = rng.normal(0, 1, n_users)
    logins = rng.poisson(np.exp(2.2 + 0.6 * engagement))
    days_since_login = rng.exponential(np.exp(1.2 - 0.9 * engagement))
    last_login = pd.Timestamp(as_of) - pd.to_timedelta(np.minimum(days_since_login, 120), unit="D")
    support = rng.poisson(np.exp(-0.8 - 0.5 * engagement))
    fee = np.array([PLANS[p] for p in plan])
    logit = (
        -1.6
        - 0.9 * engagement
        + 0.45 * support
        + 0.04 * np.minimum(days_since_login, 60)
        - 0.0012 * tenure_days
        + 0.05 * (fee - 14.99)
    )
    churned = (rng.random(n_users) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "user_id": user_id,
            "signup_timestamp": signup.floor("s"),
            "age": age,
            "home_country": country,
            "plan": plan,
            "monthly_fee": fee,
            "logins_30d": logins,
            "last_login_timestamp": last_login.floor("s"),
            "support_contacts_90d": support,
            "churned": churned,
        }
    )


def generate_transactions(
    customers: pd.DataFrame, n_transactions: int, as_of: datetime, days: int, seed: int
) -> pd.DataFrame:
    """Card transactions of ``customers`` over ``days`` ending at ``as_of``, labelled."""
    rng = np.random.default_rng(seed + 1)
    n_users = len(customers)
    users = customers["user_id"].to_numpy()
    home = customers["home_country"].str.strip().str.upper().to_numpy()
    activity = rng.gamma(2.0, 1.0, n_users)
    typical_log_amount = rng.normal(3.4, 0.6, n_users)
    favourite = np.stack([rng.choice(len(CATEGORIES), 3, replace=False) for _ in range(n_users)])
    start = pd.Timestamp(as_of) - pd.Timedelta(days=days)

    n_fraud_target = int(round(n_transactions * FRAUD_TXN_SHARE))
    burst_sizes: list[int] = []
    while sum(burst_sizes) < n_fraud_target:
        burst_sizes.append(int(rng.integers(2, 7)))
    if burst_sizes and sum(burst_sizes) > n_fraud_target:
        burst_sizes[-1] -= sum(burst_sizes) - n_fraud_target
        burst_sizes = [b for b in burst_sizes if b > 0]
    n_fraud = sum(burst_sizes)
    n_normal = n_transactions - n_fraud

    # Normal spending: daytime hours, favourite categories, home country, usual amounts.
    u = rng.choice(n_users, n_normal, p=activity / activity.sum())
    day = rng.integers(0, days, n_normal)
    hour = rng.choice(24, n_normal, p=_daytime_hours())
    seconds = day * 86400 + hour * 3600 + rng.integers(0, 3600, n_normal)
    cat = np.where(
        rng.random(n_normal) < 0.9,
        favourite[u, rng.integers(0, 3, n_normal)],
        rng.integers(0, len(CATEGORIES), n_normal),
    )
    amount = np.exp(typical_log_amount[u] + rng.normal(0, 0.5, n_normal))
    travel = rng.random(n_normal) < 0.04
    country = np.where(travel, rng.choice(COUNTRIES, n_normal), home[u])
    label = (rng.random(n_normal) < 0.002).astype(int)  # a little label noise

    # Fraud episodes: bursts within minutes, mostly at night, unusual everything.
    fu, fsec, fcat, famount, fcountry = [], [], [], [], []
    for size in burst_sizes:
        victim = int(rng.integers(0, n_users))
        night = rng.random() < 0.7
        burst_hour = int(rng.choice([0, 1, 2, 3, 4, 23])) if night else int(rng.integers(8, 22))
        t0 = int(rng.integers(0, days)) * 86400 + burst_hour * 3600
        offsets = np.sort(rng.integers(0, 1800, size))
        unusual = [c for c in range(len(CATEGORIES)) if c not in favourite[victim]]
        foreign = rng.random() < 0.6
        abroad = rng.choice([c for c in COUNTRIES if c != home[victim]])
        for off in offsets:
            fu.append(victim)
            fsec.append(t0 + int(off))
            fcat.append(
                int(rng.choice(unusual)) if rng.random() < 0.8 else int(favourite[victim, 0])
            )
            famount.append(float(np.exp(typical_log_amount[victim]) * rng.uniform(3, 12)))
            fcountry.append(abroad if foreign else home[victim])

    frame = pd.DataFrame(
        {
            "user_id": users[np.concatenate([u, np.array(fu, dtype=int)])],
            "seconds": np.concatenate([seconds, np.array(fsec, dtype=np.int64)]),
            "merchant_category": np.array(CATEGORIES)[
                np.concatenate([cat, np.array(fcat, dtype=int)])
            ],
            "amount": np.round(np.concatenate([amount, np.array(famount)]), 2),
            "country": np.concatenate([country, np.array(fcountry, dtype=object)]),
            "is_fraud": np.concatenate([label, np.ones(n_fraud, dtype=int)]),
        }
    )
    frame["seconds"] = _unique_per_user(frame["user_id"], frame["seconds"])
    frame["event_timestamp"] = start + pd.to_timedelta(frame.pop("seconds"), unit="s")
    frame = frame.sort_values(["event_timestamp", "user_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "transaction_id", np.arange(1, len(frame) + 1))
    category_index = frame["merchant_category"].map({c: i for i, c in enumerate(CATEGORIES)})
    frame.insert(2, "merchant_id", category_index * 1000 + rng.integers(0, 200, len(frame)))
    frame["event_timestamp"] = frame["event_timestamp"].dt.tz_convert("UTC")
    return frame[
        [
            "transaction_id",
            "user_id",
            "merchant_id",
            "merchant_category",
            "amount",
            "country",
            "event_timestamp",
            "is_fraud",
        ]
    ]


def _daytime_hours() -> np.ndarray:
    weights = np.array(
        [1, 0.5, 0.3, 0.3, 0.3, 0.6, 1.5, 3, 4, 5, 5, 6, 7, 6, 5, 5, 6, 7, 7, 6, 5, 4, 3, 2]
    )
    return weights / weights.sum()


def _unique_per_user(user_id: pd.Series, seconds: pd.Series) -> pd.Series:
    """Shift ties by whole seconds so (user_id, event_timestamp) is a key, as Feast needs."""
    seconds = seconds.copy()
    while True:
        clash = pd.DataFrame({"u": user_id, "s": seconds}).groupby(["u", "s"]).cumcount()
        if not clash.any():
            return seconds
        seconds = seconds + clash


def generate(
    n_users: int, n_transactions: int, as_of: datetime, days: int, seed: int
) -> dict[str, pd.DataFrame]:
    """Both raw tables, keyed by table name."""
    customers = generate_customers(n_users, as_of, days, seed)
    transactions = generate_transactions(customers, n_transactions, as_of, days, seed)
    return {"customers": customers, "transactions": transactions}
