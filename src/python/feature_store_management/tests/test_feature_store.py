"""The whole store on both profiles against real services.

Servers: PostgreSQL (raw, warehouse and feature tables, Feast SQL registry; one database
created for this session and dropped afterwards) and Redis (a project name of its own, keys
deleted afterwards). Embedded: parquet + DuckDB warehouse, file offline store, SQLite online
store, file registry. Each profile runs the real pipeline once per module: seeded raw data ->
``dbt run`` + ``dbt test`` -> Spark aggregates -> demographics ETL -> ``feast apply`` ->
incremental materialization (twice, with a new feature row in between).

A *planted* user (not in the raw data) gets hand-made aggregate rows at known times so
point-in-time behaviour can be asserted exactly: a row stamped after the entity's event time
must not be returned, one before it must.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pytest
from feast import FeatureStore

from feature_store_management import cli
from feature_store_management.data_generation.generator import generate
from feature_store_management.data_generation.raw_store import load_raw, read_raw
from feature_store_management.data_source_connectors.database_connector import (
    create_engine,
    read_sql,
)
from feature_store_management.data_source_connectors.stream_consumers import (
    RedisStreamSource,
    publish_redis,
)
from feature_store_management.data_transformation_pipelines.dbt_runner import DbtError, run_dbt
from feature_store_management.data_transformation_pipelines.etl import clean_user_demographics
from feature_store_management.data_transformation_pipelines.spark import transaction_aggregates
from feature_store_management.feature_repo.retrieval import training_frame
from feature_store_management.feature_repo.store import (
    HISTORY_START,
    apply,
    feature_store,
    materialize_incremental,
)
from feature_store_management.feature_tables import read_feature_table, write_feature_table
from feature_store_management.recent_transactions import RecentTransactionsWriter
from feature_store_management.recent_transactions import sqlite_path as recent_sqlite_path
from feature_store_management.settings import FeatureStoreSettings
from feature_store_management.streaming.push_transaction_aggregates import (
    TransactionAggregator,
)
from feature_store_management.streaming.push_transaction_aggregates import run as stream_run
from feature_store_management.tests.support import AS_OF, REDIS_URL, drop_redis_project
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.contracts.transaction_windows import (
    SQLITE_TABLE,
    events_key,
    transaction_id_of,
)
from mlops_common.settings import PlatformSettings, Profile

PROFILES = [Profile.EMBEDDED, Profile.SERVERS]
N_USERS, N_TRANSACTIONS, DAYS, SEED = 120, 1_500, 30, 11
AGG = transaction_aggregates.FEATURE_VIEW
AGG_COLUMNS = list(transaction_aggregates.FEATURE_COLUMNS)
AGG_REFS = [f"{AGG}:{c}" for c in AGG_COLUMNS]
PROFILE_REFS = [f"user_profile:{c}" for c in ("account_age_days", "age", "home_country", "plan")]
ACTIVITY_REFS = [f"user_activity:{c}" for c in ("logins_30d", "spend_30d", "txn_count_30d")]

UTC_AS_OF = pd.Timestamp(AS_OF)
PLANTED_USER = 900_001
T0 = UTC_AS_OF - pd.Timedelta(days=2)
PLANTED_BEFORE = (T0 - pd.Timedelta(hours=1), 111)  # before the entity time T0: returned
PLANTED_AFTER = (T0 + pd.Timedelta(hours=1), 999)  # after T0: must not be returned for T0
PLANTED_LATE = (UTC_AS_OF - pd.Timedelta(hours=12), 555)  # written between materializations
FIRST_MATERIALIZATION_END = UTC_AS_OF - pd.Timedelta(days=1)


@dataclass
class Built:
    settings: FeatureStoreSettings
    store: FeatureStore
    online_after_first_run: dict[str, list] = field(default_factory=dict)


def planted_row(stamp: pd.Timestamp, value: int) -> dict[str, object]:
    return {
        "user_id": PLANTED_USER,
        "transaction_id": -value,
        "event_timestamp": stamp,
        "txn_count_1h": value,
        "txn_count_24h": value,
        "txn_amount_sum_24h": float(value),
        "txn_amount_avg_7d": float(value),
        "txn_amount_max_7d": float(value),
        "distinct_categories_7d": 1,
    }


def plant(settings: FeatureStoreSettings, *rows: tuple[pd.Timestamp, int]) -> None:
    table = read_feature_table(settings, AGG)
    extra = pd.DataFrame([planted_row(stamp, value) for stamp, value in rows])
    write_feature_table(settings, AGG, pd.concat([table, extra], ignore_index=True))


def online(store: FeatureStore, refs: list[str], users: list[int]) -> dict[str, list]:
    return store.get_online_features(
        features=refs, entity_rows=[{"user_id": u} for u in users]
    ).to_dict()


def build(settings: FeatureStoreSettings, spark: object) -> Built:
    for name, frame in generate(N_USERS, N_TRANSACTIONS, AS_OF, DAYS, SEED).items():
        load_raw(settings, name, frame)
    run_dbt(settings)  # run + test; raises DbtError naming the failing nodes
    transaction_aggregates.run(settings, spark=spark)
    clean_user_demographics.run(settings)
    plant(settings, PLANTED_BEFORE, PLANTED_AFTER)
    store = apply(settings)
    materialize_incremental(settings, FIRST_MATERIALIZATION_END.to_pydatetime())
    built = Built(settings, store)
    built.online_after_first_run = online(store, [f"{AGG}:txn_count_1h"], [PLANTED_USER])
    plant(settings, PLANTED_LATE)
    materialize_incremental(settings, UTC_AS_OF.to_pydatetime())
    built.store = feature_store(settings)
    return built


@pytest.fixture(scope="module")
def pipelines(
    tmp_path_factory: pytest.TempPathFactory, pg_database: str, spark: object
) -> Iterator[Callable[[Profile], Built]]:
    """``pipelines(profile)``: the built store of that profile (built once per module)."""
    project = f"t_{uuid.uuid4().hex[:10]}"
    built: dict[Profile, Built] = {}

    def get(profile: Profile) -> Built:
        if profile not in built:
            settings = FeatureStoreSettings(
                platform=PlatformSettings(
                    profile=profile,
                    home=tmp_path_factory.mktemp(f"home_{profile.value}"),
                    postgres_dsn=pg_database,
                    redis_url=REDIS_URL,
                ),
                project=project,
                n_users=N_USERS,
                n_transactions=N_TRANSACTIONS,
                days=DAYS,
                seed=SEED,
                as_of=AS_OF,
            )
            built[profile] = build(settings, spark)
        return built[profile]

    try:
        yield get
    finally:
        if Profile.SERVERS in built:
            drop_redis_project(REDIS_URL, project)


def read_mart(settings: FeatureStoreSettings, name: str) -> pd.DataFrame:
    """A dbt model from the warehouse of the profile."""
    query = f'select * from "{settings.warehouse_schema}"."{name}"'
    if settings.profile == Profile.SERVERS:
        engine = create_engine(settings.platform.postgres_dsn)
        try:
            return read_sql(engine, query)
        finally:
            engine.dispose()
    import duckdb

    # dbt-duckdb keeps its connection open in this process: open the file the same way.
    with duckdb.connect(str(settings.duckdb_path)) as conn:
        return conn.execute(query).df()


def real_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["user_id"] != PLANTED_USER].reset_index(drop=True)


def brute_force_aggregates(transactions: pd.DataFrame) -> pd.DataFrame:
    """The aggregates' definition, one transaction at a time (windows ``[t - w, t)``)."""
    rows = []
    for txn in transactions.itertuples():
        mine = transactions[transactions.user_id == txn.user_id]
        age = txn.event_timestamp - mine.event_timestamp
        h1, d1, d7 = (
            mine[(age > pd.Timedelta(0)) & (age <= window)]
            for window in (pd.Timedelta(hours=1), pd.Timedelta(days=1), pd.Timedelta(days=7))
        )
        rows.append(
            {
                "transaction_id": txn.transaction_id,
                "txn_count_1h": len(h1),
                "txn_count_24h": len(d1),
                "txn_amount_sum_24h": d1.amount.sum(),
                "txn_amount_avg_7d": d7.amount.mean() if len(d7) else 0.0,
                "txn_amount_max_7d": d7.amount.max() if len(d7) else 0.0,
                "distinct_categories_7d": d7.merchant_category.nunique(),
            }
        )
    return pd.DataFrame(rows)


def expected_as_of(table: pd.DataFrame, user: int, at: pd.Timestamp, ttl: timedelta | None):
    """The feature row Feast must return for (user, at): latest with ts in [at - ttl, at]."""
    rows = table[(table.user_id == user) & (table.event_timestamp <= at)]
    if ttl:
        rows = rows[rows.event_timestamp >= at - ttl]
    return None if rows.empty else rows.sort_values("event_timestamp").iloc[-1]


# --------------------------------------------------------------------------- dbt and Spark


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_dbt_models_built_and_tested(pipelines, profile: Profile) -> None:
    settings = pipelines(profile).settings
    raw = read_raw(settings, "transactions")
    staged = read_mart(settings, "stg_transactions")
    assert len(staged) == len(raw) == N_TRANSACTIONS
    assert staged["transaction_id"].is_unique
    daily = read_mart(settings, "fct_user_daily_spend")
    assert daily["txn_count"].sum() == N_TRANSACTIONS
    assert not daily.duplicated(["user_id", "spend_date"]).any()
    assert daily["amount_sum"].sum() == pytest.approx(raw["amount"].sum())
    assert daily["fraud_count"].sum() == raw["is_fraud"].sum() > 0
    assert len(read_mart(settings, "user_transaction_aggregates")) == N_TRANSACTIONS
    # `dbt test` ran in the build and passes again on the built warehouse.
    run_dbt(settings, ("test",))


def test_dbt_test_catches_a_broken_relationship(make_settings) -> None:
    """The dbt tests are not vacuous: a transaction of an unknown user fails them by name."""
    settings = make_settings(Profile.EMBEDDED)
    data = generate(30, 200, AS_OF, 10, seed=2)
    data["transactions"].loc[7, "user_id"] = 4_242  # valid raw row, unknown customer
    for name, frame in data.items():
        load_raw(settings, name, frame)
    with pytest.raises(
        DbtError, match=r"dbt test failed: .*relationships_stg_transactions_user_id"
    ):
        run_dbt(settings)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_spark_agrees_with_dbt_and_brute_force(pipelines, profile: Profile) -> None:
    settings = pipelines(profile).settings
    spark_rows = real_rows(read_feature_table(settings, AGG)).set_index("transaction_id")
    dbt_rows = read_mart(settings, "user_transaction_aggregates").set_index("transaction_id")
    assert len(spark_rows) == len(dbt_rows) == N_TRANSACTIONS
    dbt_rows = dbt_rows.loc[spark_rows.index]
    for column in AGG_COLUMNS:
        np.testing.assert_allclose(
            spark_rows[column].astype(float), dbt_rows[column].astype(float), rtol=1e-9
        )
    transactions = read_raw(settings, "transactions")
    sample = transactions.sample(80, random_state=3)
    users = transactions[transactions.user_id.isin(sample.user_id)]
    truth = brute_force_aggregates(users).set_index("transaction_id").loc[sample.transaction_id]
    for column in AGG_COLUMNS:
        np.testing.assert_allclose(
            spark_rows.loc[truth.index, column].astype(float), truth[column].astype(float)
        )


# ------------------------------------------------------------------ point-in-time retrieval


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_historical_features_are_point_in_time_correct(pipelines, profile: Profile) -> None:
    built = pipelines(profile)
    hour = pd.Timedelta(hours=1)
    entity = pd.DataFrame(
        {
            "user_id": [PLANTED_USER] * 5,
            "event_timestamp": [
                T0,  # BEFORE row (T0 - 1h) valid, AFTER row (T0 + 1h) is in the future
                T0 - 2 * hour,  # only future rows -> nothing
                T0 + 2 * hour,  # AFTER is now the latest past row
                PLANTED_LATE[0],  # exactly at the row's stamp: included
                PLANTED_AFTER[0] + pd.Timedelta(days=7, minutes=1),  # AFTER beyond 7d TTL
            ],
        }
    )
    # Feast itself, without the normalizing wrapper.
    raw = built.store.get_historical_features(
        entity_df=entity.iloc[[0, 2]].reset_index(drop=True), features=[f"{AGG}:txn_count_1h"]
    ).to_df()
    assert sorted(raw["txn_count_1h"].tolist()) == [PLANTED_BEFORE[1], PLANTED_AFTER[1]]

    frame = training_frame(built.store, entity, [f"{AGG}:txn_count_1h"])
    values = frame["txn_count_1h"].tolist()
    assert values[0] == PLANTED_BEFORE[1]
    assert np.isnan(values[1])
    assert values[2] == PLANTED_AFTER[1]
    assert values[3] == PLANTED_LATE[1]
    assert values[4] == PLANTED_LATE[1]  # LATE (AS_OF - 12h) is still within its TTL

    # Real users at random times against the definition, for all three stored views.
    rng = np.random.default_rng(5)
    stamps = UTC_AS_OF - pd.to_timedelta(rng.uniform(0, DAYS + 10, 150), unit="D")
    sample = pd.DataFrame(
        {
            "user_id": rng.integers(1, N_USERS + 1, 150),
            "event_timestamp": stamps.floor("s"),
        }
    )
    sample.loc[0, "event_timestamp"] = UTC_AS_OF  # the activity snapshot's own time
    frame = training_frame(built.store, sample, AGG_REFS + PROFILE_REFS + ACTIVITY_REFS)
    assert len(frame) == len(sample)
    tables = {
        view: read_feature_table(built.settings, view)
        for view in (AGG, "user_profile", "user_activity")
    }
    ttls = {AGG: timedelta(days=7), "user_profile": None, "user_activity": timedelta(days=90)}
    hits = dict.fromkeys(tables, 0)
    for i, row in sample.iterrows():
        for view, refs in (
            (AGG, AGG_REFS),
            ("user_profile", PROFILE_REFS),
            ("user_activity", ACTIVITY_REFS),
        ):
            want = expected_as_of(tables[view], row.user_id, row.event_timestamp, ttls[view])
            hits[view] += want is not None
            for ref in refs:
                name = ref.split(":")[1]
                got = frame.loc[i, name]
                if want is None:
                    assert got is None or pd.isna(got), (i, name, got)
                else:
                    assert got == want[name], (i, name, got, want[name])
    # The sample exercised both outcomes of every view.
    assert 0 < hits[AGG] < len(sample) and 0 < hits["user_activity"] < len(sample)
    assert hits["user_profile"] == len(sample)


# ------------------------------------------------------------------------------- online


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_online_lookups_return_materialized_values(pipelines, profile: Profile) -> None:
    built = pipelines(profile)
    # The first run loaded history up to AS_OF - 1 day; the incremental one added LATE.
    assert built.online_after_first_run["txn_count_1h"] == [PLANTED_AFTER[1]]
    users = [*range(1, N_USERS + 1), PLANTED_USER, 777_777]
    got = online(built.store, AGG_REFS + PROFILE_REFS + ACTIVITY_REFS, users)
    assert got["user_id"] == users
    assert got["txn_count_1h"][-2] == PLANTED_LATE[1]
    assert all(got[ref.split(":")[1]][-1] is None for ref in AGG_REFS + PROFILE_REFS)
    for view, refs in (
        (AGG, AGG_REFS),
        ("user_profile", PROFILE_REFS),
        ("user_activity", ACTIVITY_REFS),
    ):
        table = read_feature_table(built.settings, view)
        for i, user in enumerate(users[:-2]):
            want = expected_as_of(table, user, UTC_AS_OF, None)
            for ref in refs:
                name = ref.split(":")[1]
                value = got[name][i]
                if want is None:
                    assert value is None, (user, name, value)
                elif isinstance(want[name], str):
                    assert value == want[name], (user, name, value)
                else:
                    assert value == pytest.approx(float(want[name])), (user, name, value)


# ------------------------------------------------------------- identical frames, profiles


def fraud_entities(settings: FeatureStoreSettings) -> pd.DataFrame:
    """Fraud training rows from raw transactions plus the edge cases where stores differ."""
    txn = read_raw(settings, "transactions")
    entity = pd.DataFrame(
        {
            "user_id": txn["user_id"],
            "event_timestamp": txn["event_timestamp"],
            "amount": txn["amount"],
            "merchant_category": txn["merchant_category"],
            "country": txn["country"],
            "hour_of_day": txn["event_timestamp"].dt.hour.astype("int64"),
            "is_fraud": txn["is_fraud"],
        }
    )
    edge = pd.DataFrame(
        {
            "user_id": [PLANTED_USER, PLANTED_USER, 777_777, 5, 6],
            "event_timestamp": [
                T0,
                T0 - pd.Timedelta(hours=2),  # only future rows: the file store drops this row
                T0,  # unknown user
                UTC_AS_OF - pd.Timedelta(days=DAYS + 20),  # before any transaction (TTL)
                UTC_AS_OF + pd.Timedelta(days=9),  # every aggregate older than the TTL
            ],
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
            "merchant_category": ["grocery"] * 5,
            "country": ["US", "DE", "US", "FR", "GB"],
            "hour_of_day": [0, 22, 0, 0, 0],
            "is_fraud": [0, 1, 0, 0, 1],
        }
    )
    return pd.concat([entity, edge], ignore_index=True)


def test_both_profiles_give_the_same_training_frames(pipelines) -> None:
    embedded, servers = pipelines(Profile.EMBEDDED), pipelines(Profile.SERVERS)
    entity = fraud_entities(embedded.settings)
    pd.testing.assert_frame_equal(entity, fraud_entities(servers.settings))

    # What Feast alone returns differs (the reason training_frame exists): the file store
    # drops rows, PostgreSQL gives naive timestamps.
    raw_embedded = embedded.store.get_historical_features(
        entity_df=entity, features=embedded.store.get_feature_service(FRAUD.feature_service)
    ).to_df()
    raw_servers = servers.store.get_historical_features(
        entity_df=entity, features=servers.store.get_feature_service(FRAUD.feature_service)
    ).to_df()
    assert len(raw_embedded) < len(entity) == len(raw_servers)
    assert str(raw_embedded["event_timestamp"].dt.tz) == "UTC"
    assert raw_servers["event_timestamp"].dt.tz is None

    frames = {}
    for built in (embedded, servers):
        frames[built.settings.profile] = training_frame(built.store, entity, FRAUD.feature_service)
    a, b = frames[Profile.EMBEDDED], frames[Profile.SERVERS]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.columns) == list(entity.columns) + [
        f.name for f in FRAUD.features if f.source != "request"
    ]
    assert str(a["event_timestamp"].dtype) == "datetime64[ns, UTC]"
    pd.testing.assert_frame_equal(
        a[entity.columns],
        entity.assign(event_timestamp=entity["event_timestamp"].astype("datetime64[ns, UTC]")),
    )
    numeric = [f.name for f in FRAUD.features if f.source != "request" and f.dtype != "string"]
    assert (a[numeric].dtypes == "float64").all()
    assert a["home_country"].dtype == object
    # Edge rows: the planted user at T0 sees only the row before T0; unknown user -> nulls
    # but on-demand defaults (ratio 1.0, not foreign).
    edge = a.iloc[-5:].reset_index(drop=True)
    assert edge.loc[0, "txn_count_1h"] == PLANTED_BEFORE[1]
    assert np.isnan(edge.loc[1, "txn_count_1h"])
    assert edge.loc[1, "amount_to_avg_7d_ratio"] == 1.0
    assert edge.loc[2, "home_country"] is None and edge.loc[2, "is_foreign"] == 0.0
    assert np.isnan(edge.loc[4, "txn_count_24h"]) and edge.loc[4, "age"] > 0

    churn_entity = pd.DataFrame(
        {
            "user_id": [*range(1, N_USERS + 1), *range(1, 21)],
            "event_timestamp": [UTC_AS_OF] * N_USERS + [UTC_AS_OF - pd.Timedelta(days=1)] * 20,
        }
    )
    churn = [
        training_frame(b.store, churn_entity, CHURN.feature_service) for b in (embedded, servers)
    ]
    pd.testing.assert_frame_equal(churn[0], churn[1], check_exact=True)
    assert churn[0]["logins_30d"].iloc[:N_USERS].notna().all()
    assert churn[0]["logins_30d"].iloc[N_USERS:].isna().all()  # snapshot is in the future
    assert churn[0]["plan"].notna().all()


# ---------------------------------------------------------------------------- idempotency


def online_entries(built: Built) -> int:
    """Rows in the online store of this project (SQLite tables / Redis keys)."""
    settings = built.settings
    if settings.profile == Profile.SERVERS:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        try:
            return sum(1 for _ in client.scan_iter(match=b"*" + settings.project.encode()))
        finally:
            client.close()
    with sqlite3.connect(settings.repo_dir / "data" / "online_store.db") as conn:
        tables = [
            r[0]
            for r in conn.execute("select name from sqlite_master where type = 'table'")
            if r[0].startswith(settings.project)
        ]
        assert len(tables) == 3
        return sum(conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_rematerialization_is_idempotent(pipelines, profile: Profile) -> None:
    built = pipelines(profile)
    refs = AGG_REFS + PROFILE_REFS + ACTIVITY_REFS
    users = [*range(1, N_USERS + 1), PLANTED_USER]
    before, entries = online(built.store, refs, users), online_entries(built)
    assert entries > 0
    materialize_incremental(built.settings, UTC_AS_OF.to_pydatetime())
    built.store.materialize(HISTORY_START, UTC_AS_OF.to_pydatetime())
    views = sorted(v.name for v in built.store.list_feature_views())
    store = apply(built.settings)  # re-applying the same definitions changes nothing
    assert sorted(v.name for v in store.list_feature_views()) == views
    assert online(store, refs, users) == before
    assert online_entries(built) == entries


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_rerunning_dbt_and_jobs_is_idempotent(pipelines, spark, profile: Profile) -> None:
    settings = pipelines(profile).settings
    marts = ("stg_transactions", "fct_user_daily_spend", "user_transaction_aggregates")
    keys = {
        "stg_transactions": ["transaction_id"],
        "fct_user_daily_spend": ["user_id", "spend_date"],
        "user_transaction_aggregates": ["transaction_id"],
    }
    before = {m: read_mart(settings, m).sort_values(keys[m], ignore_index=True) for m in marts}
    tables = {v: read_feature_table(settings, v) for v in (AGG, "user_profile", "user_activity")}
    try:
        run_dbt(settings, ("run",))
        run_dbt(settings, ("run",))
        for mart in marts:
            after = read_mart(settings, mart).sort_values(keys[mart], ignore_index=True)
            assert not after.duplicated(keys[mart]).any()
            pd.testing.assert_frame_equal(after, before[mart])
        for _ in range(2):
            transaction_aggregates.run(settings, spark=spark)
            clean_user_demographics.run(settings)
        for view, table in tables.items():
            after = read_feature_table(settings, view).sort_values(
                ["user_id", "event_timestamp"], ignore_index=True
            )
            want = real_rows(table).sort_values(["user_id", "event_timestamp"], ignore_index=True)
            assert not after.duplicated(["user_id", "event_timestamp"]).any()
            pd.testing.assert_frame_equal(after[want.columns], want, check_dtype=False)
    finally:
        write_feature_table(settings, AGG, tables[AGG])  # keep the planted rows


# ----------------------------------------------------------------------------- bad input


def cli_environment(settings: FeatureStoreSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point ``feature-store-cli`` (configured by environment only) at a built store."""
    for key, value in {
        "MLOPS_PROFILE": settings.profile.value,
        "MLOPS_HOME": str(settings.platform.home),
        "MLOPS_POSTGRES_DSN": settings.platform.postgres_dsn,
        "MLOPS_REDIS_URL": REDIS_URL,
        "FEATURES_PROJECT": settings.project,
        "FEATURES_AS_OF": settings.as_of.isoformat(),
    }.items():
        monkeypatch.setenv(key, value)


def test_cli_training_sets_are_identical_on_both_profiles(
    pipelines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames: dict[Profile, dict[str, pd.DataFrame]] = {}
    for profile in PROFILES:
        settings = pipelines(profile).settings
        cli_environment(settings, monkeypatch)
        assert cli.main(["labels"]) == 0
        frames[profile] = {}
        for contract in (FRAUD, CHURN):
            output = tmp_path / profile.value / f"{contract.use_case}.parquet"
            argv = ["training-set", "--use-case", contract.use_case, "--output", str(output)]
            assert cli.main(argv) == 0
            frames[profile][contract.use_case] = pd.read_parquet(output)
    for contract in (FRAUD, CHURN):
        a = frames[Profile.EMBEDDED][contract.use_case]
        b = frames[Profile.SERVERS][contract.use_case]
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert contract.label in a.columns
        assert set(contract.feature_names) <= set(a.columns)
        assert a[contract.label].isin([0, 1]).all()
    assert len(frames[Profile.EMBEDDED][FRAUD.use_case]) == N_TRANSACTIONS
    assert len(frames[Profile.EMBEDDED][CHURN.use_case]) == N_USERS


BAD_FILES: dict[str, tuple[str, Callable[[pd.DataFrame], pd.DataFrame], str]] = {
    "missing_column": (
        "transactions",
        lambda f: f.drop(columns=["merchant_id"]),
        r"missing column\(s\) \['merchant_id'\]",
    ),
    "wrong_type": (
        "transactions",
        lambda f: f.astype({"amount": object}).assign(
            amount=lambda d: d["amount"].where(d.index != 41, "12,50 EUR")
        ),
        r"column 'amount' must be float; row 41 has '12,50 EUR'",
    ),
    "duplicate_key": (
        "customers",
        lambda f: f.assign(user_id=f["user_id"].where(f.index != 9, 9)),
        r"duplicate key user_id=9 at row\(s\) \[8, 9\]",
    ),
    "bad_timestamp": (
        "customers",
        lambda f: f.astype({"signup_timestamp": object}).assign(
            signup_timestamp=lambda d: d["signup_timestamp"].where(d.index != 3, "yesterday")
        ),
        r"column 'signup_timestamp' must be timestamp; row 3 has 'yesterday'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_bad_raw_file_is_rejected_and_nothing_is_lost(
    pipelines,
    profile: Profile,
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    built = pipelines(profile)
    settings = built.settings
    table, corrupt, message = BAD_FILES[case]
    good = read_raw(settings, table)
    bad_file = tmp_path / f"{table}.csv"
    corrupt(good.copy()).to_csv(bad_file, index=False)
    cli_environment(settings, monkeypatch)

    assert cli.main(["load", "--table", table, "--file", str(bad_file)]) == 1
    err = capsys.readouterr().err
    assert "feature-store-cli: error:" in err and "Traceback" not in err
    assert pd.Series([err]).str.contains(message).iloc[0], err

    pd.testing.assert_frame_equal(read_raw(settings, table), good)
    entity = pd.DataFrame({"user_id": [1, 2, PLANTED_USER], "event_timestamp": [T0] * 3})
    frame = training_frame(built.store, entity, [f"{AGG}:txn_count_1h", "user_profile:age"])
    assert frame.loc[2, "txn_count_1h"] == PLANTED_BEFORE[1]
    assert frame["age"].iloc[:2].notna().all()

    # The same file, fixed, loads through the same command.
    good.to_csv(tmp_path / "fixed.csv", index=False)
    assert cli.main(["load", "--table", table, "--file", str(tmp_path / "fixed.csv")]) == 0
    pd.testing.assert_frame_equal(read_raw(settings, table), good)


# ------------------------------------------------------------------------------ streaming


def test_stream_aggregator_matches_the_batch_job(pipelines) -> None:
    """Replaying the raw transactions through the stream aggregator gives the Spark rows."""
    settings = pipelines(Profile.EMBEDDED).settings
    transactions = read_raw(settings, "transactions").sort_values(
        ["event_timestamp", "transaction_id"]
    )
    aggregator = TransactionAggregator()
    rows = [aggregator.add(event) for event in transactions.to_dict("records")]
    assert aggregator.add(transactions.iloc[0].to_dict()) is None  # replay: skipped
    streamed = pd.DataFrame(rows).set_index("transaction_id").sort_index()
    batch = real_rows(read_feature_table(settings, AGG)).set_index("transaction_id").sort_index()
    for column in AGG_COLUMNS:
        np.testing.assert_allclose(streamed[column].astype(float), batch[column].astype(float))


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.value)
def test_stream_events_reach_the_online_store(pipelines, profile: Profile) -> None:
    built = pipelines(profile)
    user = 900_002
    stream = f"{built.settings.project}:{profile.value}:transactions"
    history = pd.DataFrame(
        {
            "transaction_id": [-1, -2],
            "user_id": [user, user],
            "event_timestamp": [
                UTC_AS_OF - pd.Timedelta(days=3),
                UTC_AS_OF - pd.Timedelta(days=10),
            ],
            "amount": [100.0, 1000.0],
            "merchant_category": ["fuel", "travel"],
        }
    )
    events = [
        {
            "transaction_id": 50_001,
            "user_id": user,
            "merchant_category": "grocery",
            "amount": 20.0,
            "event_timestamp": (UTC_AS_OF + pd.Timedelta(hours=1)).isoformat(),
        },
        {
            "transaction_id": 50_002,
            "user_id": user,
            "merchant_category": "travel",
            "amount": 60.0,
            "event_timestamp": (UTC_AS_OF + pd.Timedelta(minutes=80)).isoformat(),
        },
    ]
    publish_redis(REDIS_URL, stream, [*events, events[0]])  # the last one is a redelivery
    source = RedisStreamSource(REDIS_URL, stream, group="feature-store-test")
    recent = RecentTransactionsWriter(built.settings)
    try:
        pushed = stream_run(
            built.store, source, TransactionAggregator(history), block_ms=200, recent=recent
        )
        assert pushed == 2
        assert source.pending() == 0  # every message acknowledged after the push
    finally:
        source.client.delete(stream)
        source.close()
        recent.close()
    got = online(built.store, AGG_REFS, [user])
    # As of the second event, over what came before it: fuel 100 (3 days ago), grocery 20
    # (20 minutes before); the second event itself is not in its own windows.
    assert got == {
        "user_id": [user],
        "txn_count_1h": [1],
        "txn_count_24h": [1],
        "txn_amount_sum_24h": [20.0],
        "txn_amount_avg_7d": [60.0],
        "txn_amount_max_7d": [100.0],
        "distinct_categories_7d": [2],
    }
    # Both new payments reached the APIs' recent-payments store once (redelivery ignored).
    assert stored_recent_ids(built.settings, user) == [50_001, 50_002]


def stored_recent_ids(settings: FeatureStoreSettings, user: int) -> list[int]:
    if settings.profile == Profile.SERVERS:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        try:
            # the sync client returns the list (redis-py annotates `Awaitable | list`)
            members = cast(list[bytes], client.zrange(events_key(settings.project, user), 0, -1))
        finally:
            client.close()
        return sorted(int(transaction_id_of(m)) for m in members)
    with sqlite3.connect(recent_sqlite_path(settings)) as conn:
        rows = conn.execute(
            f"SELECT transaction_id FROM {SQLITE_TABLE} WHERE user_id = ? ORDER BY 1", (user,)
        )
        return [r[0] for r in rows]
