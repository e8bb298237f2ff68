"""The generator is reproducible, labels carry signal, and bad raw input is rejected safely."""

from __future__ import annotations

import pandas as pd
import pytest

from feature_store_management.data_generation.generator import generate
from feature_store_management.data_generation.raw_schemas import RAW_TABLES, RawDataError
from feature_store_management.data_generation.raw_store import load_raw, read_raw
from feature_store_management.data_source_connectors.database_connector import (
    create_engine,
    read_sql,
)
from feature_store_management.tests.support import AS_OF, SettingsFactory
from mlops_common.settings import Profile


def test_same_seed_same_rows_and_size_flag() -> None:
    a = generate(200, 2_000, AS_OF, 30, seed=7)
    b = generate(200, 2_000, AS_OF, 30, seed=7)
    c = generate(200, 2_000, AS_OF, 30, seed=8)
    pd.testing.assert_frame_equal(a["transactions"], b["transactions"])
    pd.testing.assert_frame_equal(a["customers"], b["customers"])
    assert not a["transactions"]["amount"].equals(c["transactions"]["amount"])
    assert len(a["transactions"]) == 2_000 and len(a["customers"]) == 200
    for name, frame in a.items():
        RAW_TABLES[name].validate(frame)  # generator output honours the raw contract


def test_labels_follow_real_world_patterns() -> None:
    data = generate(1_000, 10_000, AS_OF, 60, seed=1)
    txn, customers = data["transactions"], data["customers"]
    fraud, normal = txn[txn.is_fraud == 1], txn[txn.is_fraud == 0]
    assert 0.01 < txn.is_fraud.mean() < 0.05
    assert fraud.amount.median() > 3 * normal.amount.median()
    night = lambda f: f.event_timestamp.dt.hour.isin([23, 0, 1, 2, 3, 4]).mean()  # noqa: E731
    assert night(fraud) > 2 * night(normal)
    home = customers.set_index("user_id").home_country.str.strip().str.upper()
    foreign = lambda f: (f.country != f.user_id.map(home)).mean()  # noqa: E731
    assert foreign(fraud) > 3 * foreign(normal)
    # Velocity: fraud rows have another transaction of the same user within 30 minutes.
    gaps = txn.sort_values("event_timestamp").groupby("user_id").event_timestamp.diff()
    burst = gaps.dt.total_seconds() < 1800
    assert burst[txn.is_fraud == 1].mean() > 3 * burst[txn.is_fraud == 0].mean()
    # Churn follows engagement and support contacts.
    churned = customers[customers.churned == 1]
    stayed = customers[customers.churned == 0]
    assert 0.05 < customers.churned.mean() < 0.4
    assert churned.logins_30d.mean() < stayed.logins_30d.mean()
    assert churned.support_contacts_90d.mean() > stayed.support_contacts_90d.mean()


@pytest.mark.parametrize("profile", [Profile.EMBEDDED, Profile.SERVERS])
def test_bad_raw_input_is_rejected_and_good_state_kept(
    make_settings: SettingsFactory, profile: Profile
) -> None:
    settings = make_settings(profile)
    good = generate(50, 300, AS_OF, 10, seed=3)["transactions"]
    assert load_raw(settings, "transactions", good) == 300

    with pytest.raises(RawDataError, match=r"missing column\(s\) \['amount'\]"):
        load_raw(settings, "transactions", good.drop(columns=["amount"]))
    wrong_type = good.astype({"amount": object})
    wrong_type.loc[17, "amount"] = "twelve"
    with pytest.raises(RawDataError, match=r"column 'amount' must be float; row 17 has 'twelve'"):
        load_raw(settings, "transactions", wrong_type)
    dupes = good.copy()
    dupes.loc[5, "transaction_id"] = dupes.loc[4, "transaction_id"]
    with pytest.raises(RawDataError, match=r"duplicate key transaction_id=5 at row\(s\) \[4, 5\]"):
        load_raw(settings, "transactions", dupes)

    kept = read_raw(settings, "transactions")
    pd.testing.assert_frame_equal(kept, RAW_TABLES["transactions"].validate(good))
    if profile == Profile.SERVERS:
        engine = create_engine(settings.platform.postgres_dsn)
        count = read_sql(engine, f'select count(*) as n from "{settings.raw_schema}".transactions')
        assert count["n"].iloc[0] == 300
        with engine.begin() as conn:
            conn.exec_driver_sql(f'drop schema "{settings.raw_schema}" cascade')
        engine.dispose()
