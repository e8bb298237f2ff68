"""TEST ONLY: run a model's research notebook and check what every research notebook promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_common.notebooks import execute_notebook, unstripped_cells

MODELS = Path("src/python/ml_model_development/models")


def run_research_notebook(model: str, mlops_home: Path, tmp_path: Path) -> dict[str, Any]:
    """Execute ``models/<model>/notebooks/*_research.ipynb`` on the fixture repo in
    ``mlops_home``; returns its summary. Git must hold the notebook without outputs.

    Two real runs, registered as distinct versions, compared from MLflow's own run table,
    the best chosen by that table, and both ONNX graphs within the parity gate.
    """
    (notebook,) = (MODELS / model / "notebooks").glob("*_research.ipynb")
    assert unstripped_cells(notebook) == [], f"clear the outputs of {notebook} before committing"
    summary = execute_notebook(notebook, tmp_path / "run", {"mlops_home": str(mlops_home)})
    runs = summary["runs"]
    assert set(runs) == {"weak", "strong"}
    assert all(run["version"] for run in runs.values())
    assert runs["strong"]["version"] != runs["weak"]["version"]
    assert summary["best"] == max(runs, key=lambda name: runs[name]["roc_auc"])
    assert summary["max_parity_abs_diff"] <= 1e-5
    assert summary["rows"] > 0
    return summary
