import json
import shutil
from pathlib import Path

import pytest

from mlops_platform_cli.cli import main

FAKES = Path("src.python.mlops_platform_cli.tests")


@pytest.fixture
def pex_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pexes = tmp_path / "dist"
    pexes.mkdir()
    for name in ("trainer", "monitoring-cli"):
        shutil.copy(FAKES / f"fake-{name}.pex", pexes / f"{name}.pex")
    monkeypatch.setenv("MLOPS_CLI_PEX_DIR", str(pexes))
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLOPS_PROFILE", "servers")
    monkeypatch.setenv("MLOPS_MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    return pexes


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_train_runs_the_trainer_pex_with_platform_settings(pex_dir, tmp_path, capsys):
    assert main(["train", "fraud"]) == 0
    out = capsys.readouterr().out
    assert "progress line from the component" in out
    echoed = _last_json(out)
    assert echoed["argv"] == ["train", "fraud", "--promote"]
    assert echoed["env"]["MLOPS_PROFILE"] == "servers"
    assert echoed["env"]["MLOPS_HOME"] == str((tmp_path / "home").resolve())
    assert echoed["env"]["MLOPS_MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5000"


def test_drift_exit_code_3_is_an_outcome_not_a_failure(pex_dir, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FAKE_COMPONENT_EXIT", "3")
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    assert main(["drift", "churn", "--reference", str(ref), "--current", str(cur)]) == 0
    result = _last_json(capsys.readouterr().out)
    assert result["flagged"] is True
    assert result["argv"][:5] == ["drift", "--reference", str(ref), "--current", str(cur)]
    assert "customer_churn_lightgbm" in result["argv"]


def test_failing_step_returns_1_with_the_component_output(pex_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_COMPONENT_EXIT", "2")
    assert main(["promote", "churn"]) == 1
    err = capsys.readouterr().err
    assert "step failed" in err and "exited with 2" in err


def test_missing_pex_says_how_to_build_it(pex_dir, capsys):
    assert main(["data"]) == 2
    err = capsys.readouterr().err
    assert "./pants package src/python/feature_store_management:feature-store-cli" in err


def test_quickstart_report_covers_the_month_of_its_training_runs(pex_dir):
    from datetime import UTC, datetime

    from mlops_platform_cli import quickstart
    from mlops_platform_cli.settings import CliSettings

    plan = {stage.title: stage for stage in quickstart.stages(CliSettings())}
    before = datetime.now(UTC).strftime("%Y-%m")
    plan["train + gate fraud (XGBoost -> ONNX)"].action()
    plan["train + gate churn (LightGBM -> ONNX)"].action()
    after = datetime.now(UTC).strftime("%Y-%m")
    argv = plan["monthly retraining report"].action()["argv"]  # the fake PEX echoes it
    assert argv[0] == "retraining-report" and "--days" not in argv
    assert argv[argv.index("--month") + 1] in (before, after)  # the first run's month
