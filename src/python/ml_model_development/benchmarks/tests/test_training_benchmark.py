"""The benchmark's code path end to end on a tiny size, so the script cannot rot.

Not a performance test: nothing here asserts on a timing.
"""

import json
from pathlib import Path

import pytest

from ml_model_development.benchmarks import training_benchmark as tb
from ml_model_development.common_ml_utils import batch_scoring
from ml_model_development.common_ml_utils.data_schemas.training_data_contract import (
    TrainingDataContract,
)
from mlops_common.contracts.features import CHURN, FRAUD


@pytest.mark.parametrize("contract", [FRAUD, CHURN], ids=lambda c: c.use_case)
def test_synthetic_frame_satisfies_the_contract(contract) -> None:
    frame = tb.synthetic_frame(contract, 500, seed=1, positive_rate=0.2)
    assert TrainingDataContract(contract=contract).problems(frame) == []
    assert 0.1 < frame[contract.label].mean() < 0.3
    assert frame[contract.numeric].isna().any().all()  # missing values, like production
    assert tb.synthetic_frame(contract, 500, seed=1, positive_rate=0.2).equals(frame)


def test_benchmark_runs_end_to_end_on_a_tiny_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # exercise auto's timing path (real batches need AUTO_MIN_ROWS rows)
    monkeypatch.setattr(batch_scoring, "AUTO_MIN_ROWS", 1_000)
    monkeypatch.setattr(batch_scoring, "SAMPLE_ROWS", 300)
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__N_ESTIMATORS", "10")
    out_json = tmp_path / "bench.json"

    home = tmp_path / "home"
    results = tb.run(
        ["--rows", "2000", "--latency-calls", "60", "--home", str(home), "--json", str(out_json)]
    )

    captured = capsys.readouterr()
    assert [r.model for r in results] == [
        FRAUD.registered_model_name,
        CHURN.registered_model_name,
    ]
    for r in results:
        assert r.platform_train_s > 0 and r.bare_train_s > 0
        assert {"fit", "export", "log", "register"} <= set(r.steps_s)
        # the bare baseline trains the same model: same matrix, same hyperparameters
        assert r.bare_vs_platform_max_abs_diff < 1e-6
        assert set(r.latency_us) == {"native pipeline", "native booster", "onnx runtime"}
        assert set(r.batch_s) == {"native", "onnx", "auto"}
        assert len(r.auto_engines) == 2 and set(r.auto_engines) <= {"native", "onnx"}
        assert all(len(runs) == 2 for runs in r.batch_runs_s.values())
    for heading in ("single-row latency", "batch throughput", "training wall time"):
        assert heading in captured.out
    assert "auto % of faster" in captured.out and "overhead" in captured.out
    assert "engine timings on 300 rows" in captured.err  # progress lines on stderr
    assert len(json.loads(out_json.read_text())) == 2
