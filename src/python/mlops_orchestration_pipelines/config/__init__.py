"""Pipeline variables: packaged defaults, overridden by an Airflow Variable, then by env."""
