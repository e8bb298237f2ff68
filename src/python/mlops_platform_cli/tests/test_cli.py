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


def _result(out: str) -> dict:
    """The CLI contract: stdout is exactly one JSON object (json.loads fails on anything else)."""
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def test_train_runs_the_trainer_pex_with_platform_settings(pex_dir, tmp_path, capsys):
    assert main(["train", "fraud"]) == 0
    captured = capsys.readouterr()
    assert "progress line from the component" in captured.err
    echoed = _result(captured.out)
    assert echoed["argv"] == ["train", "fraud", "--promote"]
    assert echoed["env"]["MLOPS_PROFILE"] == "servers"
    assert echoed["env"]["MLOPS_HOME"] == str((tmp_path / "home").resolve())
    assert echoed["env"]["MLOPS_MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5000"


def test_drift_flagged_is_exit_code_3_with_the_result(pex_dir, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FAKE_COMPONENT_EXIT", "3")
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    assert main(["drift", "churn", "--reference", str(ref), "--current", str(cur)]) == 3
    result = _result(capsys.readouterr().out)
    assert result["flagged"] is True
    assert result["argv"][:5] == ["drift", "--reference", str(ref), "--current", str(cur)]
    assert "customer_churn_lightgbm" in result["argv"]


def test_failing_step_returns_1_with_the_component_output(pex_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_COMPONENT_EXIT", "2")
    assert main(["promote", "churn"]) == 1
    captured = capsys.readouterr()
    assert "mlops: error:" in captured.err and "exited with 2" in captured.err
    assert "Traceback" not in captured.err
    assert "exited with 2" in _result(captured.out)["error"]["reason"]


def test_component_breaking_the_contract_is_an_error_naming_it(pex_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_COMPONENT_STDOUT", "promote: rows=3")
    assert main(["promote", "fraud"]) == 1
    assert "broke the CLI contract" in capsys.readouterr().err


def test_version_is_one_json_object(capsys):
    assert main(["--version"]) == 0
    version = _result(capsys.readouterr().out)
    assert version["prog"] == "mlops" and version["version"]


def test_bad_arguments_exit_2_without_traceback(capsys):
    assert main(["train", "no-such-model"]) == 2
    captured = capsys.readouterr()
    assert "invalid choice" in captured.err and "Traceback" not in captured.err
    assert _result(captured.out)["error"]["code"] == "usage"


def test_missing_pex_says_how_to_build_it(pex_dir, capsys):
    assert main(["data"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
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
