"""Builders for DAGs that differ only by model or domain (no copy-paste between DAG files)."""
