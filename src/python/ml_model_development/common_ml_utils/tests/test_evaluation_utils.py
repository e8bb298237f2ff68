from pathlib import Path

import numpy as np
import pytest

from ml_model_development.common_ml_utils.evaluation_utils import classification_metrics, save_plots


def test_metrics_on_known_scores() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9])
    m = classification_metrics(y, p, threshold=0.5)
    assert m["roc_auc"] == pytest.approx(15 / 16)
    assert (m["true_positives"], m["false_positives"], m["false_negatives"]) == (3, 1, 1)
    assert m["precision_at_threshold"] == pytest.approx(0.75)
    assert m["recall_at_threshold"] == pytest.approx(0.75)
    assert 0 < m["pr_auc"] <= 1 and 0 <= m["calibration_error"] <= 1


def test_perfect_scores() -> None:
    y = np.array([0, 1] * 20)
    m = classification_metrics(y, y.astype(float) * 0.98 + 0.01)
    assert m["roc_auc"] == 1.0 and m["pr_auc"] == 1.0 and m["false_negatives"] == 0


def test_plots_are_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    paths = save_plots(y, np.clip(y * 0.6 + rng.random(200) * 0.4, 0, 1), tmp_path / "plots")
    assert sorted(p.name for p in paths) == [
        "calibration.png",
        "confusion_matrix.png",
        "pr_curve.png",
        "roc_curve.png",
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
