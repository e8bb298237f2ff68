"""Feature → training → batch scoring → drift check, run with ``dag.test()`` on embedded defaults.

Real components underneath: the Pants-built ``feature-store-cli`` (dbt on DuckDB, Spark local
mode, Feast file offline store + SQLite online store), ``trainer`` (XGBoost/LightGBM, MLflow on
SQLite under ``MLOPS_HOME``, ONNX export) and ``monitoring-cli`` PEXes, and Airflow's SQLite
metadata DB from ``conftest.py``. The tests share one platform home and run in file order:
each builds on the state the previous DAG left, as the DAGs do in production.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops_common.contracts.features import CHURN, FRAUD
from mlops_common.label_engine import bundled_rules_path, load_rules

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
PEXES = {
    "feature-store-cli": "src.python.feature_store_management/feature-store-cli.pex",
    "trainer": "src.python.ml_model_development/trainer.pex",
    "monitoring-cli": "src.python.ml_reporting_monitoring/monitoring-cli.pex",
}
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
# Batch run at 31 Oct 00:00 scores [30 Oct, 31 Oct]: a day inside the generated history.
FRAUD_RUN = datetime(2026, 10, 31, tzinfo=UTC)
FRAUD_DAY = "2026-10-30"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("e2e")
    pex_dir = root / "pex"
    pex_dir.mkdir()
    for name, built in PEXES.items():
        (pex_dir / f"{name}.pex").symlink_to(Path(built).resolve())
    mlops_home = root / "home"
    env = {
        "MLOPS_PROFILE": "embedded",
        "MLOPS_HOME": str(mlops_home),
        "PEX_ROOT": str(root / "pex_root"),
        "MLOPS_PIPELINE_PEX_DIR": str(pex_dir),
        "FEATURES_N_USERS": "200",
        "FEATURES_N_TRANSACTIONS": "3000",
        "FEATURES_DAYS": "30",
        "DO_NOT_TRACK": "1",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "MONITORING_OUTPUT_DIR": str(mlops_home / "reports"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        # No model service is part of this test: without its Connection (AIRFLOW_CONN_MLOPS_
        # <USE_CASE>_API) no task calls one that happens to be running.
        for key in [k for k in os.environ if k.startswith("AIRFLOW_CONN_MLOPS_")]:
            mp.delenv(key)
        yield mlops_home


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag


def pex_python(home: Path, pex: str, code: str) -> Any:
    """Run ``code`` inside a component PEX's environment; it prints one JSON line.

    The snippet ends with ``os._exit(0)``: native thread pools (Arrow, OpenMP) were seen to
    abort in interpreter teardown ("terminate called without an active exception") after the
    JSON was printed, and what this helper checks is the data, not the teardown.
    """
    env = dict(os.environ, PEX_INTERPRETER="1")
    code = f"{code}\nimport os, sys; sys.stdout.flush(); os._exit(0)"
    out = subprocess.run(
        [sys.executable, str(home.parent / "pex" / f"{pex}.pex"), "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_dag(dagbag, dag_id: str, logical_date: datetime):
    from airflow.utils.state import DagRunState

    run = dagbag.dags[dag_id].test(logical_date=logical_date)
    states = {
        ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()
    }
    assert run.state == DagRunState.SUCCESS, f"{dag_id}: {states}"
    return run, states


def registry(home: Path, model: str) -> dict:
    uri = f"sqlite:///{(home / 'mlflow' / 'mlflow.db').resolve()}"
    return pex_python(
        home,
        "trainer",
        "import json; from mlflow import MlflowClient;"
        f"c = MlflowClient(tracking_uri={uri!r}, registry_uri={uri!r});"
        f"vs = c.search_model_versions(\"name='{model}'\");"
        f"champ = c.get_model_version_by_alias({model!r}, 'champion');"
        "print(json.dumps({'versions': sorted(int(v.version) for v in vs),"
        " 'champion': int(champ.version)}))",
    )


def read_partition(home: Path, path: Path, key: str) -> dict:
    return pex_python(
        home,
        "trainer",
        "import json, pandas as pd;"
        f"f = pd.read_parquet({str(path)!r});"
        f"print(json.dumps({{'rows': len(f), 'keys': sorted(int(k) for k in f[{key!r}]),"
        " 'labels': sorted(set(f['label'])), 'scores_ok': bool(f['score'].between(0, 1).all()),"
        " 'versions': sorted(set(f['model_version'])), 'rules': sorted(set(f['rules_version'])),"
        " 'records': f.drop(columns=['scored_at', 'event_timestamp']).to_dict('records')},"
        " default=str))",
    )


def test_feature_pipeline_builds_features_and_labels(dagbag, home: Path) -> None:
    from mlops_common.pex_runner import locate_pex, run_pex

    # The source system: seeded raw data lands first (in production, connectors load it).
    run_pex(
        locate_pex(home.parent / "pex", "feature-store-cli"), ["data", "--as-of", AS_OF.isoformat()]
    )
    _, states = run_dag(dagbag, "run_dbt_feast_models", AS_OF)
    assert set(states.values()) == {"success"}
    label_files = [home / "labels" / f"{c.use_case}_labels.parquet" for c in (FRAUD, CHURN)]
    assert all(p.is_file() for p in label_files)
    # The DAG snapshots features at its interval end (no FEATURES_AS_OF in the environment):
    # churn labels are stamped at that snapshot.
    stamps = pex_python(
        home,
        "trainer",
        "import json, pandas as pd;"
        f"f = pd.read_parquet({str(label_files[1])!r});"
        "print(json.dumps(sorted({t.isoformat() for t in f['event_timestamp']})))",
    )
    assert stamps == [AS_OF.isoformat()]
    assert (home / "feature_repo" / "feature_store.yaml").is_file()
    tables = sorted((home / "features" / "offline").glob("*.parquet"))
    assert [p.stem for p in tables] == [
        "user_activity",
        "user_profile",
        "user_transaction_aggregates",
    ]

    def snapshot() -> dict:
        code = (
            "import json, sys, pandas as pd; out = {}\n"
            "for p in sys.argv[1:]:\n"
            "    f = pd.read_parquet(p); f = f.sort_values(list(f.columns)).reset_index(drop=True)\n"
            "    out[p] = [len(f), int(pd.util.hash_pandas_object(f, index=False).sum() % 2**61)]\n"
            "print(json.dumps(out))"
        )
        env = dict(os.environ, PEX_INTERPRETER="1")
        pex = home.parent / "pex" / "trainer.pex"
        paths = [str(p) for p in (*label_files, *tables)]
        result = subprocess.run(
            [sys.executable, str(pex), "-c", code, *paths],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    # Re-running the day rebuilds every table whole: same rows, none duplicated.
    before = snapshot()
    run_dag(dagbag, "run_dbt_feast_models", AS_OF)
    assert snapshot() == before


def test_streamed_transactions_reach_the_online_store(
    dagbag, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_url = os.environ.get("MLOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    stream = f"e2e-transactions-{uuid.uuid4().hex[:10]}"  # never another run's stream
    monkeypatch.setenv("MLOPS_REDIS_URL", redis_url)
    monkeypatch.setenv("MLOPS_PIPELINE_TRANSACTION_STREAM", stream)
    user = 999_001  # not in the raw data: its aggregates come from the stream alone
    events = [
        {"transaction_id": 900_000 + i, "user_id": user, "merchant_category": category,
         "event_timestamp": (AS_OF + timedelta(minutes=i)).isoformat(), "amount": amount,
         "country": "US"}
        for i, (amount, category) in enumerate(
            [(10.0, "grocery"), (250.5, "electronics"), (99.5, "gambling")]
        )
    ]  # fmt: skip
    redis_code = (
        "import json, redis; from feature_store_management.data_source_connectors"
        ".stream_consumers import publish_redis;"
        f"print(json.dumps(len(publish_redis({redis_url!r}, {stream!r}, {events!r}))))"
    )
    online_code = (
        "import json; from feast import FeatureStore;"
        f"s = FeatureStore(repo_path={str(home / 'feature_repo')!r});"
        "r = s.get_online_features(features=['user_transaction_aggregates:txn_count_1h',"
        " 'user_transaction_aggregates:txn_amount_sum_24h',"
        " 'user_transaction_aggregates:distinct_categories_7d'],"
        f" entity_rows=[{{'user_id': {user}}}]).to_dict();"
        "print(json.dumps(r, default=str))"
    )
    try:
        assert pex_python(home, "feature-store-cli", redis_code) == 3
        run_dag(dagbag, "stream_card_transactions_to_feast", AS_OF + timedelta(minutes=5))
        online = pex_python(home, "feature-store-cli", online_code)
        # The last event's windows hold what came before it: the first two transactions.
        assert online["txn_count_1h"] == [2] and online["distinct_categories_7d"] == [2]
        assert online["txn_amount_sum_24h"] == [pytest.approx(260.5)]
        # A second run finds nothing new (all acknowledged) and changes nothing.
        run_dag(dagbag, "stream_card_transactions_to_feast", AS_OF + timedelta(minutes=10))
        assert pex_python(home, "feature-store-cli", online_code) == online
    finally:
        pex_python(
            home,
            "feature-store-cli",
            f"import json, redis; print(redis.Redis.from_url({redis_url!r}).delete({stream!r}))",
        )


def test_training_promotes_once_and_rerun_keeps_the_champion(dagbag, home: Path) -> None:
    run_dag(dagbag, "train_fraud_detection_xgboost", AS_OF)
    first = registry(home, FRAUD.registered_model_name)
    assert first == {"versions": [1], "champion": 1}
    published = json.loads(
        (home / "models" / FRAUD.registered_model_name / "champion" / "version.json").read_text()
    )
    assert str(published["version"]) == "1"

    # Same data, same seed: the challenger cannot beat the champion by the margin.
    run_dag(dagbag, "train_fraud_detection_xgboost", AS_OF)
    assert registry(home, FRAUD.registered_model_name) == {"versions": [1, 2], "champion": 1}
    notes = [
        json.loads(line)
        for line in (home / "notifications" / "training.jsonl").read_text().splitlines()
    ]
    assert [n["promoted"] for n in notes] == [True, False]

    run_dag(dagbag, "train_customer_churn_lightgbm", AS_OF)
    assert registry(home, CHURN.registered_model_name) == {"versions": [1], "champion": 1}


def test_fraud_batch_scoring_is_labelled_and_idempotent(dagbag, home: Path) -> None:
    raw = pex_python(
        home,
        "trainer",
        "import json, pandas as pd;"
        f"t = pd.read_parquet({str(home / 'features' / 'raw' / 'transactions.parquet')!r});"
        "ts = pd.to_datetime(t['event_timestamp'], utc=True);"
        f"day = t[(ts >= pd.Timestamp('{FRAUD_DAY}', tz='UTC'))"
        f" & (ts < pd.Timestamp('{FRAUD_DAY}', tz='UTC') + pd.Timedelta(days=1))];"
        "print(json.dumps(sorted(int(i) for i in day['transaction_id'])))",
    )
    assert raw, "the chosen day must have transactions"
    partition = home / "predictions" / FRAUD.use_case / f"dt={FRAUD_DAY}"
    rules = load_rules(bundled_rules_path(FRAUD.use_case))

    run_dag(dagbag, "score_daily_transactions_fraud", FRAUD_RUN)
    first = read_partition(home, partition / "part.parquet", "transaction_id")
    assert first["keys"] == raw  # every transaction of the interval, each exactly once
    assert first["scores_ok"] and first["versions"] == ["1"]
    assert set(first["labels"]) <= set(rules.labels) and first["rules"] == [rules.version]
    for record in first["records"]:  # the rules as the Label Engine applies them online
        decision = rules.decide(record)
        assert (record["label"], record["fired_rules"]) == (
            decision.label,
            ",".join(decision.fired),
        )
    manifest = json.loads((partition / "_manifest.json").read_text())
    assert manifest["rows"] == len(raw) and manifest["model_version"] == "1"

    run_dag(dagbag, "score_daily_transactions_fraud", FRAUD_RUN)
    second = read_partition(home, partition / "part.parquet", "transaction_id")
    assert second["keys"] == raw  # replaced, not appended: no duplicate rows
    assert second["records"] == first["records"]
    assert sorted(p.name for p in partition.iterdir()) == ["_manifest.json", "part.parquet"]
    assert [p.name for p in partition.parent.iterdir()] == [f"dt={FRAUD_DAY}"]
    # Scoring never promotes: the registry is as training left it.
    assert registry(home, FRAUD.registered_model_name) == {"versions": [1, 2], "champion": 1}


def test_churn_batch_scoring_scores_every_customer(dagbag, home: Path) -> None:
    run_dag(dagbag, "score_daily_customers_churn", datetime(2026, 11, 2, tzinfo=UTC))
    partition = home / "predictions" / CHURN.use_case / "dt=2026-11-01" / "part.parquet"
    scored = read_partition(home, partition, "user_id")
    assert scored["keys"] == list(range(1, 201))
    rules = load_rules(bundled_rules_path(CHURN.use_case))
    assert set(scored["labels"]) <= set(rules.labels)
    for record in scored["records"]:
        assert record["label"] == rules.decide(record).label


@pytest.mark.parametrize(
    ("thresholds", "drifted"),
    # PSI is one of several effect sizes (Wasserstein, Cohen's h, missing share); a p-value
    # gate of 0 silences every signal of the monitoring CLI, whatever the effect.
    [({"MLOPS_PIPELINE_DRIFT_PSI_THRESHOLD": "1000000",
       "MONITORING_DRIFT__P_VALUE_THRESHOLD": "0"}, False),
     ({"MLOPS_PIPELINE_DRIFT_PSI_THRESHOLD": "0.000001",
       "MONITORING_DRIFT__P_VALUE_THRESHOLD": "1.0"}, True)],
)  # fmt: skip
def test_drift_check_triggers_retraining_only_on_drift(
    dagbag, home: Path, monkeypatch: pytest.MonkeyPatch, thresholds: dict, drifted: bool
) -> None:
    from airflow.models.dagrun import DagRun

    for key, value in thresholds.items():
        monkeypatch.setenv(key, value)
    target = "train_fraud_detection_xgboost"

    def drift_runs() -> int:
        return sum(1 for r in DagRun.find(dag_id=target) if (r.conf or {}).get("reason") == "drift")

    before = drift_runs()
    _, states = run_dag(dagbag, "check_fraud_model_drift", datetime(2026, 10, 31, 2, tzinfo=UTC))
    summary = json.loads(
        (
            home / "reports" / "drift" / FRAUD.registered_model_name / f"dt={FRAUD_DAY}"
            / f"drift_{FRAUD.registered_model_name}.json"
        ).read_text()
    )  # fmt: skip
    assert summary["alert"] is drifted
    manifest = home / "predictions" / FRAUD.use_case / f"dt={FRAUD_DAY}" / "_manifest.json"
    assert summary["current_rows"] == json.loads(manifest.read_text())["rows"]
    assert states["trigger_retraining"] == ("success" if drifted else "skipped")
    assert drift_runs() == before + (1 if drifted else 0)
