"""The quickstart's retraining report covers the calendar month that holds its runs."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops_platform_cli import quickstart
from mlops_platform_cli.settings import CliSettings

FAKES = Path("src.python.mlops_platform_cli.tests")


def test_report_stage_asks_for_the_month_of_the_training_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pexes = tmp_path / "dist"
    pexes.mkdir()
    for name in ("trainer", "monitoring-cli"):
        shutil.copy(FAKES / f"fake-{name}.pex", pexes / f"{name}.pex")
    monkeypatch.setenv("MLOPS_CLI_PEX_DIR", str(pexes))
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "home"))
    plan = {stage.title: stage for stage in quickstart.stages(CliSettings())}
    before = datetime.now(UTC).strftime("%Y-%m")
    plan["train + gate fraud (XGBoost -> ONNX)"].action()
    plan["train + gate churn (LightGBM -> ONNX)"].action()
    after = datetime.now(UTC).strftime("%Y-%m")
    argv = plan["monthly retraining report"].action()["argv"]  # the fake PEX echoes it
    assert argv[0] == "retraining-report" and "--days" not in argv
    month = argv[argv.index("--month") + 1]
    assert month in (before, after)  # the month the first training run started in
