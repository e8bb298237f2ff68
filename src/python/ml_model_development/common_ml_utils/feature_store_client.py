"""Build training sets from the Feast offline store through a feature service.

Models read their features only through a named feature service (``fraud_detection_v1``,
``customer_churn_v1``) so that the feature list a model was trained on is versioned in the
feature store, not copied into training code.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mlops_common.feast_secrets import export_feast_secrets
from mlops_common.settings import PlatformSettings


class FeatureStoreError(RuntimeError):
    """The feature repo or service could not be used; the message says what to set up."""


class FeatureStoreClient:
    """Thin wrapper over ``feast.FeatureStore`` for point-in-time correct training sets."""

    def __init__(self, repo_path: Path, platform: PlatformSettings | None = None) -> None:
        if not (Path(repo_path) / "feature_store.yaml").exists():
            raise FeatureStoreError(
                f"no feature_store.yaml under {repo_path}; run the feature store's `feast apply`"
                " first or set TRAINING_FEATURE_REPO_PATH"
            )
        from feast import FeatureStore  # heavy import: only when a repo exists

        # The rendered feature_store.yaml refers to its passwords as ${VAR}s (feast_secrets).
        platform = platform if platform is not None else PlatformSettings()
        export_feast_secrets(platform.postgres_dsn, platform.redis_url)

        self.repo_path = Path(repo_path)
        self.store = FeatureStore(repo_path=str(repo_path))

    def get_training_frame(self, entity_df: pd.DataFrame, feature_service: str) -> pd.DataFrame:
        """Join the service's features onto ``entity_df`` as of each row's event_timestamp."""
        try:
            service = self.store.get_feature_service(feature_service)
        except Exception as exc:  # feast raises its own FeatureServiceNotFoundException
            raise FeatureStoreError(
                f"feature service '{feature_service}' not found in {self.repo_path}: {exc}"
            ) from exc
        job = self.store.get_historical_features(entity_df=entity_df, features=service)
        return job.to_df()
