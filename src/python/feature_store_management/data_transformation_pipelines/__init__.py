"""Transformations of raw data into feature tables: dbt models, a Spark job, Python ETL."""
