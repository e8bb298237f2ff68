"""Shared library for every component of the platform.

Only depends on pydantic / pydantic-settings so that each component's resolve (serving,
training, features, airflow, monitoring, ops) can use it without pulling another stack in.
"""

# The platform version every CLI's ``--version`` reports (mlops_common.cli_contract): one
# source, bumped with a release.
__version__ = "0.1.0"
