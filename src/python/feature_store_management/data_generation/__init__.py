"""Seeded synthetic raw data (transactions with fraud signal, customers with churn signal)."""
