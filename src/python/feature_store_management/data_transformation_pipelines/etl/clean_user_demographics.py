"""Python ETL: clean raw customer demographics into ``user_profile`` and ``user_activity``.

Raw demographics are messy (ages of 0 or 150, country codes in lower case with spaces); the
cleaning rules live here, in one place, so training and serving see the same values.
"""

from __future__ import annotations

import pandas as pd

from feature_store_management.data_generation.raw_store import read_raw
from feature_store_management.feature_tables import write_feature_table
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.progress import Progress

MIN_AGE, MAX_AGE = 18, 100


def clean_user_profile(customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Static attributes per user, stamped at signup (tenure is measured at ``as_of``)."""
    age = customers["age"].where(customers["age"].between(MIN_AGE, MAX_AGE))
    age = age.fillna(int(age.median()) if age.notna().any() else 40).astype("int64")
    country = customers["home_country"].astype(str).str.strip().str.upper()
    country = country.where(country.str.fullmatch(r"[A-Z]{2}"), "unknown")
    signup = pd.to_datetime(customers["signup_timestamp"], utc=True)
    return pd.DataFrame(
        {
            "user_id": customers["user_id"].astype("int64"),
            "account_age_days": ((as_of - signup).dt.days).clip(lower=0).astype("int64"),
            "age": age,
            "home_country": country,
            "plan": customers["plan"].astype(str).str.strip().str.lower(),
            "monthly_fee": customers["monthly_fee"].astype("float64"),
            "event_timestamp": signup,
        }
    )


def user_activity(
    customers: pd.DataFrame, transactions: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Engagement snapshot per user at ``as_of`` (the churn model's time of prediction)."""
    ts = pd.to_datetime(transactions["event_timestamp"], utc=True)
    recent = transactions[(ts > as_of - pd.Timedelta(days=30)) & (ts <= as_of)]
    spend = recent.groupby("user_id")["amount"].agg(["sum", "count"])
    last_login = pd.to_datetime(customers["last_login_timestamp"], utc=True)
    frame = pd.DataFrame(
        {
            "user_id": customers["user_id"].astype("int64"),
            "logins_30d": customers["logins_30d"].astype("int64"),
            "days_since_last_login": (as_of - last_login).dt.days.clip(lower=0).astype("int64"),
            "support_contacts_90d": customers["support_contacts_90d"].astype("int64"),
        }
    )
    frame["spend_30d"] = frame["user_id"].map(spend["sum"]).fillna(0.0).astype("float64")
    frame["txn_count_30d"] = frame["user_id"].map(spend["count"]).fillna(0).astype("int64")
    frame["event_timestamp"] = as_of
    return frame


def run(settings: FeatureStoreSettings) -> dict[str, int]:
    progress = Progress("etl clean_user_demographics")
    as_of = (
        pd.Timestamp(settings.as_of).tz_convert("UTC")
        if pd.Timestamp(settings.as_of).tzinfo
        else pd.Timestamp(settings.as_of, tz="UTC")
    )
    customers = read_raw(settings, "customers")
    transactions = read_raw(settings, "transactions")
    rows = {
        "user_profile": write_feature_table(
            settings, "user_profile", clean_user_profile(customers, as_of)
        ),
        "user_activity": write_feature_table(
            settings, "user_activity", user_activity(customers, transactions, as_of)
        ),
    }
    progress.finish(", ".join(f"{k}={v}" for k, v in rows.items()))
    return rows
