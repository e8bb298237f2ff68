"""mlops-orchestration-pipelines: Airflow 3 DAG bundles, operators and hooks (server 2).

Runs in the ``airflow`` resolve; work that needs another stack (training, dbt, Spark) runs
that component's Pants-built PEX as a subprocess instead of importing it.
"""
