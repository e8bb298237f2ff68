"""The Feast repository: entities, sources, feature views, on-demand views, services.

Definitions are built from settings (``definitions.build_objects``) because the data sources
differ by profile (parquet files embedded, PostgreSQL tables on the servers) while names,
schemas and services stay identical, and all names come from ``mlops_common.contracts``.
"""
