"""Card-fraud classifier: XGBoost on the ``fraud_detection_v1`` feature service."""
