"""ml-model-services: FastAPI services on ONNX Runtime (server 3).

Runs in the lean ``serving`` resolve: no MLflow, training, Airflow, Spark or dbt code may be
imported from here (enforced by the resolve and by BUILD visibility rules).
"""
