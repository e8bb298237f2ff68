import json
import os
import subprocess
import sys
from pathlib import Path

BUNDLE = Path("src.python.mlops_orchestration_pipelines.bundles/utility-dags-bundle.pex")


def _install(target: Path, pex_root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PEX_ROOT=str(pex_root))
    return subprocess.run(
        [sys.executable, str(BUNDLE), "install", str(target)],
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
