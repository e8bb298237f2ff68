"""Names and shapes that cross component boundaries, in one place.

The feature store defines features, trainers train on them, services read them online and
monitoring watches them, but these components live in different resolves and must not import
each other. What they must agree on — entity keys, feature-view and feature names, feature
services, registered model names, defaults used in degraded mode — is declared here, in plain
Python, and every component checks itself against it in its tests.
"""

from mlops_common.contracts.features import (
    CHURN,
    FRAUD,
    MODEL_CONTRACTS,
    FeatureSpec,
    ModelContract,
)

__all__ = ["CHURN", "FRAUD", "MODEL_CONTRACTS", "FeatureSpec", "ModelContract"]
