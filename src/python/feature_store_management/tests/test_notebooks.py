"""The feature-development notebook runs green on embedded defaults, and git holds it stripped."""

from __future__ import annotations

from pathlib import Path

from mlops_common.notebooks import execute_notebook, unstripped_cells

NOTEBOOK = Path(
    "src/python/feature_store_management/notebooks_feature_dev/feature_development.ipynb"
)


def test_notebook_is_committed_without_outputs() -> None:
    assert unstripped_cells(NOTEBOOK) == [], "clear the outputs before committing"


def test_feature_development_notebook_runs(tmp_path: Path) -> None:
    summary = execute_notebook(
        NOTEBOOK,
        tmp_path / "run",
        {"mlops_home": str(tmp_path / "home"), "n_users": 150, "n_transactions": 1500},
    )
    # The notebook ran the real pipeline into the scratch home and took a Feast
    # point-in-time frame with every feature of the fraud service, leak-free.
    assert summary["raw_rows"]["transactions"] == 1500
    assert summary["training_rows"] == summary["label_rows"] > 100
    assert summary["first_payments"] > 50
    assert summary["features"] == 15
    assert summary["first_payments_with_history"] == 0
    assert summary["missing_numeric_values"] == 0
    assert 0.0 < summary["fraud_share"] < 0.5
