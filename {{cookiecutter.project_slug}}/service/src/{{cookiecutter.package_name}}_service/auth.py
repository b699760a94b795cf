"""Service (ML Engineers): optional API-key authentication for the prediction and model routes.

Off unless API_KEYS is set (`make serve` runs without it). When set, a request must carry one of
the keys as `Authorization: Bearer <key>` or `X-API-Key: <key>`; anything else gets 401. Several
keys may be accepted at once, so a key is rotated by adding the new one, moving the callers,
then removing the old one. Health, readiness and metrics stay open: probes and Prometheus do not
authenticate (metrics get their own port instead, see METRICS_PORT).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

UNAUTHORIZED = "A valid API key is required: `Authorization: Bearer <key>` or `X-API-Key: <key>`."
CHALLENGE = {"WWW-Authenticate": "Bearer"}

# Declared for the OpenAPI document (the docs page gets an "Authorize" button); the check below
# does not rely on them, so the raw prediction routes share it.
bearer_scheme = HTTPBearer(auto_error=False, description="One of the service's API keys.")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="One of the service's API keys.")


class ApiKeys:
    """The accepted keys; `allows` compares in constant time, whatever key is tried."""

    def __init__(self, keys: Iterable[bytes]) -> None:
        self._keys = tuple(keys)

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def _accepts(self, candidate: bytes) -> bool:
        matched = False
        for key in self._keys:  # no early exit: the time does not tell which key matched
            matched |= hmac.compare_digest(candidate, key)
        return matched

    def allows(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Whether raw ASGI headers carry an accepted key (the fast path of the prediction routes)."""
        if not self._keys:
            return True
        for name, value in headers:
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                if self._accepts(value[7:].strip()):
                    return True
            elif name == b"x-api-key" and self._accepts(value.strip()):
                return True
        return False

    async def dependency(
        self,
        bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
        api_key: str | None = Security(api_key_scheme),
    ) -> None:
        """The same check as a FastAPI dependency, for ordinary routes."""
        if not self._keys:
            return
        if bearer is not None and self._accepts(bearer.credentials.encode()):
            return
        if api_key is not None and self._accepts(api_key.encode()):
            return
        raise HTTPException(401, UNAUTHORIZED, headers=CHALLENGE)
