"""``mlops quickstart`` end to end on embedded defaults, twice (the second run must converge)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_common.ports import free_port
from mlops_platform_cli.cli import main


@pytest.fixture
def quickstart_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("MLOPS_HOME", str(home))
    monkeypatch.setenv("MLOPS_PROFILE", "embedded")
    monkeypatch.delenv("MLOPS_MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLOPS_CLI_PEX_DIR", str(Path.cwd()))  # Pants puts the PEXes here
    monkeypatch.setenv("MLOPS_CLI_USERS", "300")
    monkeypatch.setenv("MLOPS_CLI_TRANSACTIONS", "4000")
    monkeypatch.setenv("MLOPS_CLI_FRAUD_PORT", str(free_port()))
    monkeypatch.setenv("MLOPS_CLI_CHURN_PORT", str(free_port()))
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex_root"))
    yield home
    main(["stop"])


def _versions(home: Path, model: str) -> dict:
    return json.loads((home / "models" / model / "champion" / "version.json").read_text())


def test_quickstart_runs_the_whole_flow_and_is_idempotent(quickstart_env: Path, capsys) -> None:
    home = quickstart_env
    assert main(["quickstart"]) == 0
    captured = capsys.readouterr()
    out = captured.err  # progress and the human summary; stdout is the JSON result
    assert "quickstart finished" in out
    result = json.loads(captured.out)
    assert result["stages"][0]["title"] == "generate raw data"
    samples = next(st for st in result["stages"] if st["title"] == "score sample requests")
    assert {body["label"] for body in samples["result"]["fraud"]} <= {"approve", "review", "block"}
    assert Path(result["paths"]["reports"]) == (home / "reports").resolve()
    # Models trained, promoted and published as ONNX for the services.
    for model in ("fraud_detection_xgboost", "customer_churn_lightgbm"):
        assert (home / "models" / model / "champion" / "model.onnx").stat().st_size > 1000
    first = {m: _versions(home, m) for m in ("fraud_detection_xgboost", "customer_churn_lightgbm")}
    # Sample requests went through the running APIs with labels from the Label Engine.
    scored = [line for line in out.splitlines() if "POST fraud/score" in line]
    assert len(scored) == 3
    assert all(any(f"label={x}" in line for x in ("approve", "review", "block")) for line in scored)
    assert "DEGRADED" not in out
    # Batch predictions, drift reports and the retraining report were written.
    for use_case in ("fraud_detection", "customer_churn"):
        assert (home / "predictions" / use_case / "latest.parquet").stat().st_size > 0
    reports = home / "reports"
    assert (reports / "drift_fraud_detection_xgboost.html").stat().st_size > 0
    assert (reports / "drift_customer_churn_lightgbm.html").stat().st_size > 0
    # Second run: same data, so the retrained challengers must not displace the champions.
    assert main(["quickstart"]) == 0
    capsys.readouterr()
    for model, version in first.items():
        assert _versions(home, model) == version, f"{model} champion changed on an identical rerun"
