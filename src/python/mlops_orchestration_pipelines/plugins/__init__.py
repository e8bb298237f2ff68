"""Custom operators and hooks (the seed's ``plugins/``)."""
