"""The dbt project (staging + marts) shipped as package data, run by ``dbt_runner``."""
