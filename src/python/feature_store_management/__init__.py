"""feature-store-management: raw data, dbt/Spark/Python transformations, Feast definitions."""
