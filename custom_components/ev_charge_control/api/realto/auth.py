"""The bearer token re.alto issues for a client id and secret: getting it, keeping it
until shortly before it lapses, renewing it after a 401, and who it belongs to.

The token comes from ``POST /v1/authentication`` (a client-credentials sign-in).  One
lock serialises sign-ins, so concurrent requests that find no valid token, or that
were all refused with the same token, share one new token instead of each fetching
their own.  The secret and the token are credentials: they never appear in a repr.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
import json
import time
from typing import override

from ..errors import InvalidToken, MalformedResponse
from .const import AUTH_PATH, DEFAULT_TOKEN_LIFETIME, TOKEN_REFRESH_MARGIN
from .errors import error_message, parse_json, raise_for_status

# Sends the sign-in body to AUTH_PATH, unauthenticated; answers (status, text, headers).
type PostCredentials = Callable[[Mapping[str, str]], Awaitable[tuple[int, str, Mapping[str, str]]]]


class ClientCredentialsToken:
    """The current token for one client id and secret, signed in for on demand."""

    def __init__(self, client_id: str, client_secret: str, post: PostCredentials) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._post = post
        self._token: str | None = None
        self._valid_until = 0.0  # time.monotonic()
        self._lock = asyncio.Lock()

    @override
    def __repr__(self) -> str:
        return f"{type(self).__name__}(held={self._token is not None})"

    async def authenticate(self) -> None:
        """Get a fresh token now; raises ``InvalidToken`` if the credentials are refused."""
        async with self._lock:
            await self._fetch()

    @property
    def principal(self) -> str | None:
        """Who the credentials belong to: the ``sub`` claim of the current JWT, if any.

        re.alto's tokens are JWTs ("which can be decoded"); the subject is the principal
        the platform knows the caller as, a stable identity for one account.
        """
        if self._token is None:
            return None
        parts = self._token.split(".")
        if len(parts) != 3:
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (binascii.Error, ValueError):
            return None
        subject = claims.get("sub") if isinstance(claims, dict) else None
        return subject if isinstance(subject, str) and subject else None

    async def valid_token(self) -> str:
        """A token to send now: the kept one while it has time left, else a new one."""
        token = self._cached()
        if token is not None:
            return token
        async with self._lock:
            return self._cached() or await self._fetch()

    async def renew(self, rejected: str) -> str:
        """A new token after ``rejected`` got a 401; concurrent callers share one renewal."""
        async with self._lock:
            if self._token is not None and self._token != rejected:
                return self._token
            return await self._fetch()

    def _cached(self) -> str | None:
        if self._token is not None and time.monotonic() < self._valid_until:
            return self._token
        return None

    async def _fetch(self) -> str:
        body = {"clientId": self._client_id, "clientSecret": self._client_secret}
        status, text, headers = await self._post(body)
        if status in (400, 401, 403):
            # Wrong id or secret; the platform's body is not documented.
            message = error_message(status, text, headers)
            raise InvalidToken(f"re.alto refused the client credentials: {message}", status=status)
        raise_for_status(status, text, headers, operation="authentication")
        data = parse_json(text, AUTH_PATH, status)
        token = data.get("access_token") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse("authentication: the answer has no access_token", status=status)
        expires_in = data.get("expires_in")
        lifetime = (
            float(expires_in)
            if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool)
            else DEFAULT_TOKEN_LIFETIME
        )
        self._token = token
        # A token with less than the margin left is used for the request at hand only.
        self._valid_until = time.monotonic() + lifetime - TOKEN_REFRESH_MARGIN
        return token
