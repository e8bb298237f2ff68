"""Code every model project shares (the seed's ``common_ml_utils``)."""
