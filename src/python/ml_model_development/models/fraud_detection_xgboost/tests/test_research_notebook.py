"""notebooks/fraud_research.ipynb runs green on the fixture repo (and git holds it stripped)."""

from __future__ import annotations

from pathlib import Path

from ml_model_development.testing.research_notebooks import run_research_notebook


def test_fraud_research_notebook(mlops_home: Path, tmp_path: Path) -> None:
    summary = run_research_notebook("fraud_detection_xgboost", mlops_home, tmp_path)
    # On the fixture's fraud data the deeper configuration wins, and the payments span four
    # weeks, so every numeric feature gets a PSI in the drift look.
    assert summary["best"] == "strong"
    assert summary["psi_features"] >= 10 and summary["max_psi"] >= 0.0
