"""Store passwords leave the URLs as environment variables, decoded, and only when present."""

from __future__ import annotations

from mlops_common.feast_secrets import (
    POSTGRES_PASSWORD_VAR,
    REDIS_PASSWORD_VAR,
    export_feast_secrets,
    feast_secret_environ,
)


def test_passwords_are_decoded_from_the_urls() -> None:
    environ = feast_secret_environ(
        "postgresql://feast:p%40ss%2Fw0rd@db:5432/features", "redis://:r3d%2Cis@cache:6380/2"
    )
    assert environ == {POSTGRES_PASSWORD_VAR: "p@ss/w0rd", REDIS_PASSWORD_VAR: "r3d,is"}


def test_urls_without_password_set_nothing() -> None:
    assert feast_secret_environ("postgresql://postgres@127.0.0.1/test", "redis://127.0.0.1") == {}


def test_export_overrides_a_stale_value() -> None:
    environ = {POSTGRES_PASSWORD_VAR: "old", "OTHER": "kept"}
    names = export_feast_secrets("postgresql://u:new@h/db", "redis://h", environ)
    assert names == [POSTGRES_PASSWORD_VAR]
    assert environ == {POSTGRES_PASSWORD_VAR: "new", "OTHER": "kept"}
