"""Renders ``feature_store.yaml`` for the active profile into ``$MLOPS_HOME/feature_repo``.

The rendered folder is the hand-off to other components: ``FeatureStore(repo_path=...)``
there finds the registry, offline and online stores without importing this package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template
from urllib.parse import unquote

import sqlalchemy as sa
from pydantic import RedisDsn, TypeAdapter

from feature_store_management.data_source_connectors.database_connector import normalize_url
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.settings import Profile

TEMPLATES = "feature_store_management.feature_repo.templates"


def redis_connection_string(redis_url: str) -> str:
    """``redis://:pw@host:port/db`` -> Feast's ``host:port,db=N[,password=pw]``.

    Parsed by pydantic's :class:`~pydantic.RedisDsn` (which fills in port 6379 and db 0).
    """
    parsed = TypeAdapter(RedisDsn).validate_python(redis_url)
    parts = [f"{parsed.host or '127.0.0.1'}:{parsed.port or 6379}"]
    db = (parsed.path or "/0").lstrip("/") or "0"
    parts.append(f"db={db}")
    if parsed.password:
        parts.append(f"password={unquote(parsed.password)}")
    if parsed.scheme == "rediss":
        parts.append("ssl=true")
    return ",".join(parts)


def render_config(settings: FeatureStoreSettings) -> str:
    repo_dir = settings.repo_dir
    values: dict[str, object] = {"project": settings.project, "repo_dir": repo_dir}
    if settings.profile == Profile.SERVERS:
        url = sa.engine.make_url(normalize_url(settings.platform.postgres_dsn))
        values |= {
            "registry_url": url.render_as_string(hide_password=False),
            "redis_connection": redis_connection_string(settings.platform.redis_url),
            "pg_host": url.host or "127.0.0.1",
            "pg_port": url.port or 5432,
            "pg_database": url.database or "postgres",
            "pg_user": url.username or "postgres",
            "pg_password": url.password or "",
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
