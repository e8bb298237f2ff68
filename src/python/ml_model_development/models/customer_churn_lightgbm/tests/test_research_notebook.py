"""notebooks/churn_research.ipynb runs green on the fixture repo (and git holds it stripped)."""

from __future__ import annotations

from pathlib import Path

from ml_model_development.testing.research_notebooks import run_research_notebook


def test_churn_research_notebook(mlops_home: Path, tmp_path: Path) -> None:
    summary = run_research_notebook("customer_churn_lightgbm", mlops_home, tmp_path)
    # Churn rows sit at one snapshot: the drift look has no earlier window and says so.
    assert summary["psi_features"] == 0 and summary["max_psi"] == 0.0
