"""feature_store.yaml templates, one per profile."""
