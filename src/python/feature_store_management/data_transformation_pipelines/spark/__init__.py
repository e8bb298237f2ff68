"""Spark jobs for the heavy windowed aggregates."""
