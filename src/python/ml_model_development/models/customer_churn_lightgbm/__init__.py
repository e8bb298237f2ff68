"""Customer-churn classifier: LightGBM on the ``customer_churn_v1`` feature service."""
