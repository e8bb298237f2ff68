"""API-key authentication for scoring and admin routes (probes and /metrics stay open).

Keys come from ``MLOPS_SERVICE_API_KEY`` / ``MLOPS_SERVICE_API_KEYS`` or a secret file
(``MLOPS_SERVICE_API_KEYS_FILE``); the client sends one in the ``x-api-key`` header. Every
accepted key is compared with :func:`hmac.compare_digest`, so the time taken does not tell an
attacker how much of a key was right. A service without keys refuses to start unless
``MLOPS_SERVICE_AUTH_DISABLED=true`` (or ``AUTH_DISABLED=true``) says so explicitly.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from ml_model_services.common_service_libs.error_handlers import ServiceError

API_KEY_HEADER = "x-api-key"


class AuthConfigError(RuntimeError):
    """No API key configured and auth not explicitly disabled."""


class ApiKeyAuth:
    """A FastAPI dependency: ``dependencies=[Depends(auth)]``."""

    def __init__(self, keys: list[str], disabled: bool = False) -> None:
        if not keys and not disabled:
            raise AuthConfigError(
                "no API key configured: set MLOPS_SERVICE_API_KEY(S) or MLOPS_SERVICE_API_KEYS_FILE,"
                " or MLOPS_SERVICE_AUTH_DISABLED=true for local development"
            )
        self.disabled = disabled
        # Compare fixed-length digests so the key length does not leak either.
        self._digests = [hashlib.sha256(k.encode("utf-8")).digest() for k in keys]

    def check(self, presented: str | None) -> bool:
        if self.disabled:
            return True
        if not presented:
            return False
        digest = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
        ok = False
        for expected in self._digests:  # no early exit: same work whichever key matches
            ok |= hmac.compare_digest(digest, expected)
        return ok

    async def __call__(self, request: Request) -> None:
        presented = request.headers.get(API_KEY_HEADER)
        if not self.check(presented):
            raise ServiceError(
                401,
                "unauthorized",
                "missing API key" if not presented else "invalid API key",
            )
