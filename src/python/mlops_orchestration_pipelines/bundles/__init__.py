"""Deployable DAG bundles: one PEX per DAG domain that installs itself into a folder."""
