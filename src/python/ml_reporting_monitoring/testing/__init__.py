"""Synthetic stand-ins used by tests and by the live-Prometheus check (never in production)."""
