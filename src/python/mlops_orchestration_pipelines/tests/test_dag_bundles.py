import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BUNDLES = Path("src.python.mlops_orchestration_pipelines.bundles")
BUNDLE = BUNDLES / "utility-dags-bundle.pex"
# Every DAG domain ships as its own bundle; together they hold every DAG exactly once.
DOMAIN_DAGS = {
    "utility-dags-bundle": ["backup_mlflow_db", "cleanup_local_artifacts"],
    "feature-dags-bundle": [
        "materialize_feast_online_store",
        "run_dbt_feast_models",
        "stream_card_transactions_to_feast",
    ],
    "training-dags-bundle": [
        "promote_customer_churn_lightgbm_challenger",
        "promote_fraud_detection_xgboost_challenger",
        "train_customer_churn_lightgbm",
        "train_fraud_detection_xgboost",
    ],
    "batch-inference-dags-bundle": [
        "score_daily_customers_churn",
        "score_daily_transactions_fraud",
    ],
    "monitoring-dags-bundle": [
        "check_churn_model_drift",
        "check_fraud_feature_skew",
        "check_fraud_model_drift",
        "monthly_model_retraining_report",
    ],
}


def _install(target: Path, pex_root: Path, bundle: Path = BUNDLE) -> subprocess.CompletedProcess:
    env = dict(os.environ, PEX_ROOT=str(pex_root))
    return subprocess.run(
        [sys.executable, str(bundle), "install", str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_bundle_installs_and_its_dags_parse(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    result = _install(target, tmp_path / "pex")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["dag_ids"] == ["backup_mlflow_db", "cleanup_local_artifacts"]
    assert not any("/tests/" in f for f in manifest["files"])
    assert "mlops_common/settings.py" in manifest["files"]
    ignored = (target / ".airflowignore").read_text().splitlines()
    assert "mlops_common/" in ignored and "mlops_orchestration_pipelines/utils/" in ignored
    assert not any(line.startswith("mlops_orchestration_pipelines/dags") for line in ignored)

    # Parse the installed bundle in a clean interpreter, as a worker would.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from airflow.dag_processing.dagbag import DagBag;"
        "b = DagBag(dag_folder=sys.argv[1]);"
        "print(sorted(b.dags), len(b.import_errors))"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    parsed = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    assert (
        parsed.stdout.strip().splitlines()[-1]
        == "['backup_mlflow_db', 'cleanup_local_artifacts'] 0"
    )


def test_reinstall_replaces_previous_version(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    assert _install(target, tmp_path / "pex").returncode == 0
    (target / "stale_file.py").write_text("raise SystemExit('old code')\n")
    assert _install(target, tmp_path / "pex").returncode == 0
    assert not (target / "stale_file.py").exists()
    assert (
        not (tmp_path / "bundle.installing").exists()
        and not (tmp_path / "bundle.previous").exists()
    )


def _parse(target: Path) -> subprocess.CompletedProcess:
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        "from airflow.dag_processing.dagbag import DagBag;"
        "b = DagBag(dag_folder=sys.argv[1]);"
        "print(json.dumps([sorted(b.dags), {k: v[-300:] for k, v in b.import_errors.items()}]))"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    return subprocess.run(
        [sys.executable, "-c", code, str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(set(DOMAIN_DAGS) - {"utility-dags-bundle"}))
def test_every_domain_bundle_installs_its_dags(tmp_path: Path, name: str) -> None:
    target = tmp_path / "bundle"
    result = _install(target, tmp_path / "pex", BUNDLES / f"{name}.pex")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["dag_ids"] == DOMAIN_DAGS[name]
    parsed = _parse(target)
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    dags, errors = json.loads(parsed.stdout.strip().splitlines()[-1])
    assert errors == {} and dags == DOMAIN_DAGS[name]
    if name == "batch-inference-dags-bundle":
        # The Label Engine rules the batch DAGs apply travel with the bundle.
        for use_case in ("fraud_detection", "customer_churn"):
            assert f"mlops_common/label_engine/rules/{use_case}.yaml" in manifest["files"]


def test_bundles_cover_every_dag_once() -> None:
    from airflow.dag_processing.dagbag import DagBag

    dags_dir = Path(__file__).resolve().parents[1] / "dags"
    everything = [d for dags in DOMAIN_DAGS.values() for d in dags]
    assert sorted(everything) == sorted(DagBag(dag_folder=str(dags_dir)).dags)


def test_all_bundles_load_side_by_side_as_the_worker_image_configures_them(
    tmp_path: Path,
) -> None:
    """The worker's bundle list from its Dockerfile, every bundle parsed in one process.

    Airflow appends each bundle's folder to ``sys.path``; a process that parsed the utility
    bundle first must still import the batch-scoring factory when it parses the next one.
    """
    dockerfile = Path("src/docker/Dockerfile.airflow_custom_worker").read_text()
    match = re.search(r"AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST='([^']+)'", dockerfile)
    assert match, "the worker image must configure one LocalDagBundle per domain"
    config = json.loads(match.group(1))
    dags_root = tmp_path / "dags"
    for entry in config:
        folder = Path(entry["kwargs"]["path"])
        assert folder.parent == Path("/opt/airflow/dags")
        pex = BUNDLES / f"{folder.name}-dags-bundle.pex"
        assert _install(dags_root / folder.name, tmp_path / "pex", pex).returncode == 0
        entry["kwargs"]["path"] = str(dags_root / folder.name)
    assert config[0]["name"] == "utility"  # the smallest domain parses first

    code = (
        "import json, sys\n"
        "from airflow.dag_processing.bundles.manager import DagBundlesManager\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        "out = {}\n"
        "for b in DagBundlesManager().get_all_dag_bundles():\n"
        "    b.initialize()\n"
        "    bag = BundleDagBag(dag_folder=b.path, bundle_path=b.path, bundle_name=b.name)\n"
        "    out[b.name] = [sorted(bag.dags), {k: v[-300:] for k, v in bag.import_errors.items()}]\n"
        "import mlops_orchestration_pipelines as m\n"
        "out['_package'] = m.__file__\n"
        "print(json.dumps(out))\n"
    )
    env = dict(os.environ, AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST=json.dumps(config))
    env.pop("PYTHONPATH", None)
    parsed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False,
        cwd=tmp_path,
    )  # fmt: skip
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    out = json.loads(parsed.stdout.strip().splitlines()[-1])
    assert out.pop("_package").startswith(str(dags_root))  # bundle code, not the source tree
    assert out == {
        name.removesuffix("-dags-bundle"): [dags, {}] for name, dags in DOMAIN_DAGS.items()
    }
