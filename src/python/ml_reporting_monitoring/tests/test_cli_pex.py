"""The packaged monitoring-cli PEX, run the way Airflow runs it: as a subprocess."""

import json
import subprocess
from pathlib import Path

from ml_reporting_monitoring.testing.synthetic_data import fraud_frame

PEX = Path("src.python.ml_reporting_monitoring/monitoring-cli.pex")


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
    summary = json.loads((tmp_path / "out" / "drift_fraud_detection_xgboost.json").read_text())
    assert summary["drifted_features"] == ["amount"] and summary["prediction_drifted"]
    assert "[drift fraud_detection_xgboost] finished" in result.stderr
