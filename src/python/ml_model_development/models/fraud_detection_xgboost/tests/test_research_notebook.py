"""The research notebook runs green on the fixture feature repo, and git holds it stripped."""

from __future__ import annotations

from pathlib import Path

from mlops_common.notebooks import execute_notebook, unstripped_cells

NOTEBOOK = Path(
    "src/python/ml_model_development/models/fraud_detection_xgboost/notebooks/fraud_research.ipynb"
)


def test_notebook_is_committed_without_outputs() -> None:
    assert unstripped_cells(NOTEBOOK) == [], "clear the outputs before committing"


def test_research_notebook_trains_compares_and_looks_at_drift(
    mlops_home: Path, tmp_path: Path
) -> None:
    summary = execute_notebook(NOTEBOOK, tmp_path / "run", {"mlops_home": str(mlops_home)})
    runs = summary["runs"]
    # Two real runs, registered, compared from MLflow's own run table; the stronger
    # configuration wins and both ONNX graphs match their models.
    assert set(runs) == {"weak", "strong"}
    assert all(run["version"] for run in runs.values())
    assert runs["strong"]["roc_auc"] > runs["weak"]["roc_auc"]
    assert summary["best"] == "strong"
    assert summary["max_parity_abs_diff"] <= 1e-5
    # the fixture's payments span four weeks: every numeric feature gets a PSI
    assert summary["rows"] > 0 and summary["psi_features"] >= 10 and summary["max_psi"] >= 0.0
