"""Scratch PostgreSQL databases for tests that run images against the machine's server.

``MLOPS_TEST_POSTGRES_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/test``) names the
server; :func:`scratch_database` creates a uniquely named database on it and drops it after.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

ADMIN_DSN = os.environ.get("MLOPS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def dsn(database: str) -> str:
    """The admin DSN pointed at another database."""
    return urlunsplit(urlsplit(ADMIN_DSN)._replace(path=f"/{database}"))


def psql(database: str, sql: str) -> str:
    """Run SQL with psql; its unaligned, tuples-only output."""
    out = subprocess.run(
        ["psql", dsn(database), "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    psql("postgres", f'create database "{name}"')
    try:
        yield name
    finally:
        psql("postgres", f'drop database if exists "{name}" with (force)')
