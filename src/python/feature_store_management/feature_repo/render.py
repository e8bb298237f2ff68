"""Renders ``feature_store.yaml`` for the active profile into ``$MLOPS_HOME/feature_repo``.

The rendered folder is the hand-off to other components: ``FeatureStore(repo_path=...)``
there finds the registry, offline and online stores without importing this package. It holds
no secret: a password is written as ``${MLOPS_FEAST_POSTGRES_PASSWORD}`` /
``${MLOPS_FEAST_REDIS_PASSWORD}``, which Feast expands from the environment when it loads the
file (:mod:`mlops_common.feast_secrets` sets them from the platform's URLs).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

import sqlalchemy as sa
from pydantic import RedisDsn, TypeAdapter

from feature_store_management.data_source_connectors.database_connector import normalize_url
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.feast_secrets import POSTGRES_PASSWORD_VAR, REDIS_PASSWORD_VAR
from mlops_common.settings import Profile

TEMPLATES = "feature_store_management.feature_repo.templates"


def env_ref(name: str) -> str:
    """``${NAME}``: what Feast replaces with the environment variable's value."""
    return "${" + name + "}"


def redis_connection_string(redis_url: str) -> str:
    """``redis://:pw@host:port/db`` -> Feast's ``host:port,db=N[,password=${VAR}]``.

    Parsed by pydantic's :class:`~pydantic.RedisDsn` (which fills in port 6379 and db 0). The
    password itself is never written, only a reference to ``MLOPS_FEAST_REDIS_PASSWORD``.
    """
    parsed = TypeAdapter(RedisDsn).validate_python(redis_url)
    parts = [f"{parsed.host or '127.0.0.1'}:{parsed.port or 6379}"]
    db = (parsed.path or "/0").lstrip("/") or "0"
    parts.append(f"db={db}")
    if parsed.password:
        parts.append(f"password={env_ref(REDIS_PASSWORD_VAR)}")
    if parsed.scheme == "rediss":
        parts.append("ssl=true")
    return ",".join(parts)


def render_config(settings: FeatureStoreSettings) -> str:
    repo_dir = settings.repo_dir
    values: dict[str, object] = {"project": settings.project, "repo_dir": repo_dir}
    if settings.profile == Profile.SERVERS:
        url = sa.engine.make_url(normalize_url(settings.platform.postgres_dsn))
        password = env_ref(POSTGRES_PASSWORD_VAR) if url.password else ""
        values |= {
            # The registry URL without its password; psycopg takes it from connect_args.
            "registry_url": sa.engine.URL.create(  # (URL.set cannot remove a password)
                url.drivername, url.username, None, url.host, url.port, url.database, url.query
            ).render_as_string(hide_password=False),
            "registry_connect_args": (
                f'\n    connect_args:\n      password: "{password}"' if password else ""
            ),
            "redis_connection": redis_connection_string(settings.platform.redis_url),
            "pg_host": url.host or "127.0.0.1",
            "pg_port": url.port or 5432,
            "pg_database": url.database or "postgres",
            "pg_user": url.username or "postgres",
            "pg_password": password,
            "feature_schema": settings.feature_schema,
        }
    template = resources.files(TEMPLATES) / f"feature_store.{settings.profile.value}.yaml"
    return Template(template.read_text()).substitute(values)


def render_repo(settings: FeatureStoreSettings) -> Path:
    """Write ``feature_store.yaml`` (and the data folder) and return the repo path."""
    repo_dir = settings.repo_dir
    (repo_dir / "data").mkdir(parents=True, exist_ok=True)
    (repo_dir / "feature_store.yaml").write_text(render_config(settings))
    return repo_dir
