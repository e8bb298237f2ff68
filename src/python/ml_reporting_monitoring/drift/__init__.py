"""Data, prediction and concept drift statistics."""
