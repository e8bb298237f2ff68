"""Label tables: what the trainers need, aligned with the stored features, rebuilt idempotently."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from feature_store_management import cli, labels
from feature_store_management.data_generation.generator import generate
from feature_store_management.data_generation.raw_store import load_raw
from feature_store_management.data_source_connectors.database_connector import create_engine
from feature_store_management.data_transformation_pipelines.etl import clean_user_demographics
from feature_store_management.tests.support import AS_OF, SettingsFactory
from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.settings import Profile


def _load(settings, seed: int = 5) -> dict[str, pd.DataFrame]:
    data = generate(settings.n_users, settings.n_transactions, AS_OF, settings.days, seed)
    for name, frame in data.items():
        load_raw(settings, name, frame)
    return data


@pytest.mark.parametrize("profile", [Profile.EMBEDDED, Profile.SERVERS])
def test_label_tables_match_raw_truth_and_trainer_contract(
    make_settings: SettingsFactory, profile: Profile
) -> None:
    settings = make_settings(profile)
    try:
        data = _load(settings)
        with pytest.raises(labels.LabelsError, match="run `feature-store-cli transform` first"):
            labels.run(settings)
        clean_user_demographics.run(settings)

        rows = labels.run(settings)
        txn, customers = data["transactions"], data["customers"]
        assert rows == {FRAUD.use_case: len(txn), CHURN.use_case: len(customers)}

        fraud = pd.read_parquet(labels.labels_path(settings, FRAUD.use_case))
        request = [f.name for f in FRAUD.features if f.source == "request"]
        needed = {*request, FRAUD.entity_join_key, "event_timestamp", FRAUD.label}
        assert needed <= set(fraud.columns)
        truth = txn.set_index("transaction_id")
        by_id = fraud.set_index("transaction_id")
        assert (by_id[FRAUD.label] == truth.loc[by_id.index, "is_fraud"]).all()
        assert (by_id["amount"] == truth.loc[by_id.index, "amount"]).all()
        assert (by_id["event_timestamp"] == truth.loc[by_id.index, "event_timestamp"]).all()
        assert (fraud["hour_of_day"] == fraud["event_timestamp"].dt.hour).all()
        assert fraud[FRAUD.label].sum() == txn["is_fraud"].sum() > 0

        churn = pd.read_parquet(labels.labels_path(settings, CHURN.use_case))
        # Stamped at the stored activity snapshot, so Feast joins exactly that snapshot.
        assert set(churn["event_timestamp"]) == {pd.Timestamp(AS_OF)}
        truth = customers.set_index("user_id")["churned"]
        assert (churn.set_index("user_id")[CHURN.label] == truth).all()
        assert set(churn[CHURN.label]) == {0, 1}

        # Idempotent: a second run rewrites the same rows and leaves no temp files.
        labels.run(settings)
        pd.testing.assert_frame_equal(
            pd.read_parquet(labels.labels_path(settings, FRAUD.use_case)), fraud
        )
        assert sorted(p.name for p in labels.labels_path(settings, "x").parent.iterdir()) == [
            "customer_churn_labels.parquet",
            "fraud_detection_labels.parquet",
        ]
    finally:
        if profile == Profile.SERVERS:
            engine = create_engine(settings.platform.postgres_dsn)
            with engine.begin() as conn:
                for schema in (settings.raw_schema, settings.feature_schema):
                    conn.exec_driver_sql(f'drop schema if exists "{schema}" cascade')
            engine.dispose()


def test_entity_rows_cover_exactly_the_interval(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings()
    monkeypatch.setenv("MLOPS_HOME", str(settings.home))  # the CLI reads its settings from env
    data = _load(settings, seed=9)
    txn = data["transactions"]
    end = pd.Timestamp(AS_OF) - timedelta(days=3)
    start = end - timedelta(days=1)
    out = settings.home / "entities.parquet"

    code = cli.main(
        ["entities", "--use-case", "fraud_detection", "--start", start.isoformat(),
         "--end", end.isoformat(), "--output", str(out)]
    )  # fmt: skip
    assert code == 0
    fraud = pd.read_parquet(out)
    expected = txn[(txn.event_timestamp >= start) & (txn.event_timestamp < end)]
    assert 0 < len(fraud) == len(expected)
    # The batch-scoring DAG reads this result: stdout is exactly one JSON object.
    result = json.loads(capsys.readouterr().out)
    assert result == {"command": "entities", "rows": len(expected), "output": str(out)}
    assert sorted(fraud["transaction_id"]) == sorted(expected["transaction_id"])
    assert FRAUD.label not in fraud.columns  # scoring rows never carry the outcome

    churn = labels.entity_rows(settings, CHURN.use_case, start, end)
    assert set(churn["event_timestamp"]) == {end} and len(churn) == len(data["customers"])
    assert CHURN.label not in churn.columns
    with pytest.raises(labels.LabelsError, match="empty interval"):
        labels.entity_rows(settings, FRAUD.use_case, end, start)
