"""The batch benchmark's code path on a tiny size (real Spark ``local[2]``), so it cannot rot.

Not a performance test: nothing here asserts on a timing, only on what the JSON holds and
that both runtimes agreed.
"""

import json
from pathlib import Path

from ml_model_development.benchmarks import batch_benchmark


def test_batch_benchmark_runs_end_to_end_on_a_tiny_size(tmp_path: Path, capsys) -> None:
    out = tmp_path / "batch.json"
    batch_benchmark.run(["--sizes", "1500,3000", "--train-rows", "3000", "--json", str(out)])
    figures = json.loads(out.read_text())
    assert set(figures["sizes"]) == {"1500", "3000"}
    for size in figures["sizes"].values():
        assert size["single_process_rows_per_s"] > 0 and size["spark_rows_per_s"] > 0
        assert size["max_abs_score_diff"] <= 1e-9 and size["label_mismatches"] == 0
    assert figures["master"] == "local[2]" and figures["crossover"]["how"]
    table = capsys.readouterr().out
    assert "single rows/s" in table and "crossover:" in table
