"""pg_dump / pg_restore with rotation, for the MLflow metadata database.

Backups are custom-format dumps (``pg_dump -Fc``) written to a temporary name and renamed
only when complete, so a failed run never leaves a truncated file that rotation would count
as a good backup and never deletes an older good one.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from pydantic import PostgresDsn

_NAME = re.compile(r"^(?P<db>[\w-]+)-(?P<stamp>\d{8}T\d{6}Z)\.dump$")


@dataclass(frozen=True)
class PgTarget:
    """Connection parameters for the PostgreSQL command-line tools."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    dbname: str = "mlflow"
    password: str | None = None

    @classmethod
    def of(cls, dsn: PostgresDsn) -> PgTarget:
        """The target of a DSN pydantic has already parsed and validated (settings field)."""
        host = dsn.hosts()[0]
        return cls(
            host=host["host"] or "127.0.0.1",
            port=host["port"] or 5432,
            user=unquote(host["username"]) if host["username"] else "postgres",
            dbname=(dsn.path or "/postgres").lstrip("/") or "postgres",
            password=unquote(host["password"]) if host["password"] else None,
        )

    def args(self) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.user]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def _run(cmd: list[str], target: PgTarget) -> str:
    proc = subprocess.run(cmd, env=target.env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def dump_database(target: PgTarget, backup_dir: Path, now: datetime | None = None) -> Path:
    """Write ``<db>-<UTC stamp>.dump`` atomically and return its path."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(tz=UTC)).strftime("%Y%m%dT%H%M%SZ")
    final = backup_dir / f"{target.dbname}-{stamp}.dump"
    partial = final.with_suffix(".dump.partial")
    try:
        _run(["pg_dump", *target.args(), "-Fc", "-f", str(partial), target.dbname], target)
        partial.rename(final)
    finally:
        partial.unlink(missing_ok=True)
    return final


def list_backups(backup_dir: Path, dbname: str) -> list[Path]:
    """Complete backups of ``dbname``, oldest first."""
    found = []
    for path in backup_dir.glob(f"{dbname}-*.dump"):
        match = _NAME.match(path.name)
        if match and match.group("db") == dbname:
            found.append(path)
    return sorted(found, key=lambda p: p.name)


def rotate(backup_dir: Path, dbname: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; return the deleted paths."""
    if keep < 1:
        raise ValueError("keep must be at least 1: rotation never deletes the newest backup")
    backups = list_backups(backup_dir, dbname)
    doomed = backups[:-keep]
    for path in doomed:
        path.unlink()
    return doomed


def table_row_counts(target: PgTarget) -> dict[str, int]:
    """Row count of every table in the public schema (to compare source and restore)."""
    tables = _run(
        [
            "psql",
            *target.args(),
            "-d",
            target.dbname,
            "-tAc",
            "select tablename from pg_tables where schemaname = 'public' order by 1",
        ],
        target,
    ).split()
    counts = {}
    for table in tables:
        out = _run(
            [
                "psql",
                *target.args(),
                "-d",
                target.dbname,
                "-tAc",
                f'select count(*) from "{table}"',
            ],
            target,
        )
        counts[table] = int(out.strip())
    return counts


def restore_into_fresh_database(dump: Path, target: PgTarget, scratch_db: str) -> PgTarget:
    """Restore ``dump`` into a newly created ``scratch_db`` (dropped first if it exists)."""
    admin = PgTarget(target.host, target.port, target.user, "postgres", target.password)
    _run(
        ["psql", *admin.args(), "-d", "postgres", "-c", f'drop database if exists "{scratch_db}"'],
        admin,
    )
    _run(["psql", *admin.args(), "-d", "postgres", "-c", f'create database "{scratch_db}"'], admin)
    restored = PgTarget(target.host, target.port, target.user, scratch_db, target.password)
    _run(["pg_restore", *restored.args(), "-d", scratch_db, "--no-owner", str(dump)], restored)
    return restored


def drop_database(target: PgTarget) -> None:
    admin = PgTarget(target.host, target.port, target.user, "postgres", target.password)
    _run(
        [
            "psql",
            *admin.args(),
            "-d",
            "postgres",
            "-c",
            f'drop database if exists "{target.dbname}"',
        ],
        admin,
    )
