"""The benchmark's code path end to end on a tiny size, so the script cannot rot.

Not a performance test: nothing here asserts on a timing.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_model_development.benchmarks import single_row, synthetic_data
from ml_model_development.benchmarks import training_benchmark as tb
from ml_model_development.common_ml_utils import batch_scoring
from ml_model_development.common_ml_utils.data_schemas.training_data_contract import (
    TrainingDataContract,
)
from mlops_common.contracts.features import CHURN, FRAUD


@pytest.mark.parametrize("contract", [FRAUD, CHURN], ids=lambda c: c.use_case)
def test_synthetic_frame_satisfies_the_contract(contract) -> None:
    frame = synthetic_data.synthetic_frame(contract, 500, seed=1, positive_rate=0.2)
    assert TrainingDataContract(contract=contract).problems(frame) == []
    assert 0.1 < frame[contract.label].mean() < 0.3
    assert frame[contract.numeric].isna().any().all()  # missing values, like production
    assert synthetic_data.synthetic_frame(contract, 500, seed=1, positive_rate=0.2).equals(frame)


@pytest.mark.parametrize("contract", [FRAUD, CHURN], ids=lambda c: c.use_case)
def test_row_encoder_equals_the_fitted_transform_and_feeds_match_the_signature(contract) -> None:
    from ml_model_development.common_ml_utils.preprocessing import (
        one_hot_transformer,
        prepare_frame,
    )

    frame = prepare_frame(synthetic_data.synthetic_frame(contract, 300, seed=2), contract)
    transformer = one_hot_transformer(contract).fit(frame)
    rows = frame.to_dict("records")
    unseen = dict(rows[0]) | {name: "never-seen" for name in contract.categorical}
    expected = transformer.transform(prepare_frame(pd.DataFrame([*rows, unseen]), contract))
    encoder = single_row.RowEncoder(transformer, contract)
    for i, values in enumerate([*rows, unseen]):
        np.testing.assert_array_equal(encoder.encode(values), expected[i : i + 1])
    # an unseen category encodes as all zeros in its one-hot block, as sklearn does
    onehot_width = sum(len(block) for block in encoder.onehot.values())
    assert onehot_width > 0 and encoder.encode(unseen)[0, :onehot_width].sum() == 0
    # the lean contract's feed: one float32 row, categories as ids of the graph's vocabulary
    from ml_model_development.common_ml_utils.onnx_lean_graph import encoded_layout
    from mlops_common.contracts.onnx_signature import UNKNOWN_CATEGORY_ID, FeatureEncoder

    _, vocabulary = encoded_layout(transformer, contract)
    writer = single_row.FeedWriter(contract, FeatureEncoder(contract, vocabulary))
    (row,) = writer.write(rows[1]).values()
    assert row.dtype == np.float32 and row.shape == (1, len(contract.features))
    for i, name in enumerate(contract.feature_names):
        expected_value = (
            vocabulary[name][rows[1][name]] if name in contract.categorical else rows[1][name]
        )
        np.testing.assert_array_equal(row[0, i], np.float32(expected_value))
    (row,) = writer.write(unseen).values()
    for name in contract.categorical:
        assert row[0, contract.feature_names.index(name)] == UNKNOWN_CATEGORY_ID
    # a legacy-contract graph is fed per feature, as before
    feeds = single_row.FeedWriter(contract, None).write(rows[1])
    assert set(feeds) == set(contract.feature_names)
    for name in contract.categorical:
        assert feeds[name].dtype == object and feeds[name][0, 0] == rows[1][name]
    for name in contract.numeric:
        assert feeds[name].dtype == np.float32 and feeds[name].shape == (1, 1)


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
        sr = r.single_row
        assert sr is not None
        assert set(sr.us) == set(single_row.SIDES) and sr.threads == 1
        assert all(0 < p50 <= p99 for p50, p99 in sr.us.values())
        assert {"onnx_feeds", "onnx_run", "booster_encode", "booster_predict_proba"} <= set(
            sr.parts_us
        )
        # same row on both sides: the graph and the booster agree (the parity gate's bound)
        assert sr.max_abs_diff < 1e-5
        # the lean contract: one float input, one tree-ensemble node
        assert sr.graph == {"inputs": 1, "string_inputs": 0, "nodes": 1}
        assert set(r.batch_s) == {"native", "onnx", "auto"}
        assert len(r.auto_engines) == 2 and set(r.auto_engines) <= {"native", "onnx"}
        assert all(len(runs) == 2 for runs in r.batch_runs_s.values())
    for heading in ("single row", "batch throughput", "training wall time"):
        assert heading in captured.out
    assert "auto % of faster" in captured.out and "overhead" in captured.out
    assert "engine timings on 300 rows" in captured.err  # progress lines on stderr
    figures = json.loads(out_json.read_text())
    for kind, r in (("fraud", results[0]), ("churn", results[1])):
        model = figures[kind]
        for name in (
            "onnx_row_us",
            "booster_row_us",
            "pipeline_row_us",
            "batch_auto_share_of_best",
            "training_overhead_ratio",
        ):
            assert model[name] > 0, name
        assert r.single_row is not None
        assert model["onnx_row_us"] == round(r.single_row.us["onnx"][0], 1)
        assert model["onnx_vs_booster_goal_met"] == (model["onnx_vs_booster_speedup"] >= 10.0)
    # the goal is the booster on the same row; the Pipeline is information only
    assert "ONNX vs booster (goal >=10x)" in captured.out
    assert "ONNX vs Pipeline (info, no goal)" in captured.out
    missed = [r.model for r in results if r.single_row is not None and not r.single_row.goal_met]
    for model in missed:
        assert f"{model}: MISSED" in captured.out


def test_a_failing_model_is_reported_and_the_run_exits_nonzero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(kind: str, *args, **kwargs):
        raise np.linalg.LinAlgError(f"{kind} export refused")

    monkeypatch.setattr(tb, "benchmark_model", refuse)
    out_json = tmp_path / "bench.json"
    argv = ["--rows", "10", "--home", str(tmp_path / "home"), "--json", str(out_json)]
    assert tb.main(argv) == 1
    assert "fraud: FAILED, no figures: LinAlgError: fraud export refused" in capsys.readouterr().out
    figures = json.loads(out_json.read_text())
    assert figures["churn"] == {"error": "LinAlgError: churn export refused"}
