"""The packaged monitoring-cli PEX, run the way Airflow runs it: as a subprocess."""

import json
import subprocess
from pathlib import Path

import pytest

from ml_reporting_monitoring.testing.synthetic_data import fraud_frame

PEX = Path("src.python.ml_reporting_monitoring/monitoring-cli.pex")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PEX.resolve()), *args], capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip


def test_pex_answers_version_as_one_json_object(tmp_path) -> None:
    result = _run(tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["prog"] == "monitoring-cli"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["drift", "--reference"], 2),  # usage
        (["drift", "--reference", "missing.csv", "--current", "missing.csv"], 1),  # bad input
    ],
)
def test_pex_bad_input_exits_without_traceback(tmp_path, args: list[str], code: int) -> None:
    result = _run(tmp_path, *args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["error"]["reason"]
    if code == 1:
        assert "missing.csv does not exist: pass a CSV/Parquet path" in result.stderr


def test_pex_drift_command_flags_drift_with_exit_code_3(tmp_path) -> None:
    fraud_frame(5_000, seed=1).to_csv(tmp_path / "ref.csv", index=False)
    fraud_frame(2_000, seed=2, shift={"amount": 0.8}).to_csv(tmp_path / "cur.csv", index=False)
    result = subprocess.run(
        [str(PEX.resolve()), "drift", "--reference", str(tmp_path / "ref.csv"),
         "--current", str(tmp_path / "cur.csv"), "--features", "amount,country,age",
         "--score", "score", "--output-dir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    # The CLI contract: stdout is exactly one JSON object naming what was written.
    printed = json.loads(result.stdout)
    assert printed["flagged"] is True and printed["drifted_features"] == ["amount"]
    assert printed["report"] == str(tmp_path / "out" / "drift_fraud_detection_xgboost.html")
    summary = json.loads(Path(printed["summary"]).read_text())
    assert summary["drifted_features"] == ["amount"] and summary["prediction_drifted"]
    assert "[drift fraud_detection_xgboost] finished" in result.stderr
