"""Loading the data sets the monitoring jobs compare.

A path may be a local CSV/Parquet file or an MLflow artifact URI (``runs:/<run_id>/<path>``,
``models:/...``): the reference window is normally the training set the trainer logged with
its run, so drift is measured against exactly what the model learned from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_frame(location: str, tracking_uri: str | None = None) -> pd.DataFrame:
    """Read ``location``; MLflow URIs resolve against ``tracking_uri`` (else MLflow's default)."""
    if "://" in location or location.startswith(("runs:/", "models:/")):
        import mlflow.artifacts  # imported lazily: most callers read local files

        location = mlflow.artifacts.download_artifacts(
            artifact_uri=location, tracking_uri=tracking_uri
        )
    path = Path(location)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: pass a CSV/Parquet path or runs:/ URI")
    if path.suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    raise ValueError(f"{path}: unsupported file type, use .csv or .parquet")
