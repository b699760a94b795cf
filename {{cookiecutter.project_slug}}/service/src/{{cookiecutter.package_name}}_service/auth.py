"""Service (ML Engineers): optional API keys for the prediction and model routes, as a FastAPI dependency.

Off unless API_KEYS (or API_KEYS_FILE) is set. When set, a request must carry one of the keys as
`Authorization: Bearer <key>` or `X-API-Key: <key>`, else 401. Several keys may be accepted at
once, so a key is rotated by adding the new one, moving the callers, then removing the old one.
Health, readiness and metrics stay open: probes and Prometheus do not authenticate.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from fastapi import Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .errors import Unauthorized

UNAUTHORIZED = "A valid API key is required: `Authorization: Bearer <key>` or `X-API-Key: <key>`."

# The two schemes also give the docs page its "Authorize" button.
bearer_scheme = HTTPBearer(auto_error=False, description="One of the service's API keys.")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="One of the service's API keys.")


class ApiKeys:
    """The accepted keys; a key is compared with every one in constant time, whatever key is tried."""

    def __init__(self, keys: Iterable[bytes]) -> None:
        self._keys = tuple(keys)

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def _accepts(self, candidate: str) -> bool:
        matched = False
        for key in self._keys:  # no early exit: the time does not tell which key matched
            matched |= hmac.compare_digest(candidate.encode(), key)
        return matched

    async def dependency(
        self,
        bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
        api_key: str | None = Security(api_key_scheme),
    ) -> None:
        """Raise Unauthorized unless the request carries an accepted key (or no key is configured)."""
        if not self._keys:
            return
        if bearer is not None and self._accepts(bearer.credentials.strip()):
            return
        if api_key is not None and self._accepts(api_key.strip()):
            return
        raise Unauthorized(UNAUTHORIZED)
