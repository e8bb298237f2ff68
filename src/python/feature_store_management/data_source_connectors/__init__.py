"""Connectors to the systems raw data comes from."""
