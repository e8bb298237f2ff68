"""Classification metrics and plots logged with every training run and used for promotion.

Metrics are plain floats keyed by stable names so that MLflow runs of different models and
versions are comparable; plots are drawn on ``matplotlib.figure.Figure`` objects (no pyplot), which render headless
without switching the process' backend, so a notebook that runs a trainer keeps its inline plots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, threshold: float = 0.5, calibration_bins: int = 10
) -> dict[str, float]:
    """ROC-AUC, PR-AUC, precision/recall/confusion at ``threshold`` and calibration error."""
    y_true = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=np.float64)
    pred = (proba >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y_true, pred, labels=[0, 1]).ravel()
    frac_pos, mean_pred = calibration_curve(
        y_true, proba, n_bins=calibration_bins, strategy="quantile"
    )
    return {
        "roc_auc": float(roc_auc_score(y_true, proba)),
        "pr_auc": float(average_precision_score(y_true, proba)),
        "precision_at_threshold": float(precision_score(y_true, pred, zero_division=0)),
        "recall_at_threshold": float(recall_score(y_true, pred, zero_division=0)),
        "brier_score": float(brier_score_loss(y_true, proba)),
        "calibration_error": float(np.mean(np.abs(frac_pos - mean_pred))),
        "true_positives": float(tp),
        "false_positives": float(fp),
        "true_negatives": float(tn),
        "false_negatives": float(fn),
        "positive_rate": float(y_true.mean()),
    }


def save_plots(
    y_true: np.ndarray, proba: np.ndarray, out_dir: Path, threshold: float = 0.5
) -> list[Path]:
    """Write ROC, PR, calibration and confusion-matrix PNGs; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    y_true = np.asarray(y_true).astype(int)
    paths: list[Path] = []

    def _save(fig: Figure, name: str) -> None:
        path = out_dir / name
        fig.tight_layout()
        fig.savefig(path, dpi=80)
        paths.append(path)

    fpr, tpr, _ = roc_curve(y_true, proba)
    fig = Figure(figsize=(4, 4))
    ax = fig.subplots()
    ax.plot(fpr, tpr, label=f"AUC {roc_auc_score(y_true, proba):.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    ax.legend(loc="lower right")
    _save(fig, "roc_curve.png")

    precision, recall, _ = precision_recall_curve(y_true, proba)
    fig = Figure(figsize=(4, 4))
    ax = fig.subplots()
    ax.plot(recall, precision)
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    _save(fig, "pr_curve.png")

    frac_pos, mean_pred = calibration_curve(y_true, proba, n_bins=10, strategy="quantile")
    fig = Figure(figsize=(4, 4))
    ax = fig.subplots()
    ax.plot(mean_pred, frac_pos, marker="o")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(xlabel="mean predicted", ylabel="fraction positive", title="Calibration")
    _save(fig, "calibration.png")

    cm = confusion_matrix(y_true, (np.asarray(proba) >= threshold).astype(int), labels=[0, 1])
    fig = Figure(figsize=(3.5, 3.5))
    ax = fig.subplots()
    ax.imshow(cm, cmap="Blues")
    for (i, j), value in np.ndenumerate(cm):
        ax.text(j, i, str(value), ha="center", va="center")
    ax.set(xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="actual", title="Confusion")
    _save(fig, "confusion_matrix.png")
    return paths
