"""Schemas that training data must satisfy before any fitting."""
