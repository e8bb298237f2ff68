"""Small Python ETL scripts."""
