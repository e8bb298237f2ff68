"""Administer the machine's PostgreSQL as the playbooks' tests and the lab need it: run a
query as ``postgres`` and drop every database and login role with a given name prefix (what a
dev/lab/test deployment created, nothing else)."""

from __future__ import annotations

import subprocess

PSQL = [
    "psql",
    "-h",
    "127.0.0.1",
    "-U",
    "postgres",
    "-d",
    "postgres",
    "-v",
    "ON_ERROR_STOP=1",
    "-tAc",
]


def psql(sql: str) -> list[str]:
    """The rows of one statement, one line each (psql's unaligned tuples-only output)."""
    out = subprocess.run([*PSQL, sql], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def drop_prefixed(prefix: str) -> list[str]:
    """Drop the databases (with their open sessions), then the login roles named ``prefix*``."""
    like = prefix.replace("_", r"\_") + "%"
    dropped = []
    for db in psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{like}'"):
        psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        dropped.append(f"database {db}")
    for role in psql(f"SELECT rolname FROM pg_roles WHERE rolname LIKE '{like}'"):
        psql(f'DROP ROLE IF EXISTS "{role}"')
        dropped.append(f"role {role}")
    return dropped
