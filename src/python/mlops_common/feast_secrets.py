"""Passwords of the Feast stores travel as environment variables, never inside the YAML.

The feature store writes ``${MLOPS_FEAST_POSTGRES_PASSWORD}`` / ``${MLOPS_FEAST_REDIS_PASSWORD}``
into ``feature_store.yaml`` where a password belongs, and Feast expands ``${VAR}`` from the
environment when it loads the file. The rendered folder can then be copied, logged and shown
in a diff without leaking a secret. The values come from the platform's one source of truth,
``MLOPS_POSTGRES_DSN`` and ``MLOPS_REDIS_URL``: a process that opens that folder with Feast
calls :func:`export_feast_secrets` first (or a user exports the two variables by hand before
``feast plan``).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from urllib.parse import unquote, urlsplit

POSTGRES_PASSWORD_VAR = "MLOPS_FEAST_POSTGRES_PASSWORD"
REDIS_PASSWORD_VAR = "MLOPS_FEAST_REDIS_PASSWORD"


def url_password(url: str) -> str | None:
    """The decoded password of ``scheme://user:password@host/...``, or None without one."""
    password = urlsplit(url).password
    return unquote(password) if password else None


def feast_secret_environ(postgres_dsn: str, redis_url: str) -> dict[str, str]:
    """The variables the rendered ``feature_store.yaml`` refers to (only those with a value:
    the YAML refers to a variable only when its URL carries a password)."""
    values = {
        POSTGRES_PASSWORD_VAR: url_password(postgres_dsn),
        REDIS_PASSWORD_VAR: url_password(redis_url),
    }
    return {name: value for name, value in values.items() if value}


def export_feast_secrets(
    postgres_dsn: str, redis_url: str, environ: MutableMapping[str, str] | None = None
) -> list[str]:
    """Set the variables in ``environ`` (default: this process) for Feast to expand; returns
    their names. The URLs win over a stale value already in the environment."""
    target = os.environ if environ is None else environ
    secrets = feast_secret_environ(postgres_dsn, redis_url)
    target.update(secrets)
    return sorted(secrets)
