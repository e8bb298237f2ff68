"""Plain-Python helpers the DAG tasks call (testable without a scheduler)."""
