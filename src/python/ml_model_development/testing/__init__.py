"""Test-only helpers (a tiny Feast repo with learnable signal); never used by trainers."""
