"""DAG files, one folder per domain (each folder is one deployable bundle)."""
