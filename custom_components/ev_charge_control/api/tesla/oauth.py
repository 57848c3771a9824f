"""Tesla's OAuth token endpoint: the code exchange and the refresh.

Tesla refresh tokens are single use (since 2024-02-01): a refresh returns a new one
and the old one answers ``login_required`` ever after, so the caller must store every
new token set before it uses the new access token (in the integration, Home
Assistant's OAuth2 session does so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json
import time
from typing import Any

import aiohttp

from ..errors import (
    ApiError,
    AuthenticationError,
    LoginRequired,
    MalformedResponse,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from ..transport import exchange
from .client import _retry_after
from .const import TOKEN_URL

# Tesla's access tokens last eight hours; used when an answer omits expires_in.
DEFAULT_LIFETIME = 28800
# OAuth error codes (RFC 6749 section 5.2, and Tesla's own) that say the grant itself is
# no good: only signing in again gets a new one.
SIGN_IN_AGAIN = frozenset({"invalid_grant", "login_required", "invalid_token"})


@dataclass(frozen=True, slots=True)
class TokenSet:
    """An access token, the refresh token that renews it, and when it expires.

    Its ``repr`` leaves both tokens out, so a set that reaches a log or a traceback
    gives nothing away.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float

    @classmethod
    def from_response(cls, data: Mapping[str, Any], now: float) -> TokenSet:
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        # str() would make a null token the word "None", sent as a bearer token.
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            raise MalformedResponse("token answer without access and refresh tokens")
        lifetime = data.get("expires_in", DEFAULT_LIFETIME)
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)):
            raise MalformedResponse(f"token answer with expires_in {lifetime!r}")
        return cls(access_token=access, refresh_token=refresh, expires_at=now + float(lifetime))

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
        }


class TeslaOAuth:
    """Calls Tesla's token endpoint (form-encoded, not billed)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        *,
        client_secret: str | None = None,
        token_url: str = TOKEN_URL,
        request_timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._client_id = client_id
        self._client_secret = client_secret
        self.token_url = token_url
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def refresh(self, refresh_token: str, *, now: float | None = None) -> TokenSet:
        """Spend ``refresh_token`` for a new token set.

        ``expires_at`` counts from ``now`` (default: the wall clock), so a caller with its
        own clock gets an expiry it can compare with that clock.
        """
        form = {"grant_type": "refresh_token", "client_id": self._client_id, "refresh_token": refresh_token}
        return await self._post(form, now)

    async def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        *,
        code_verifier: str | None = None,
        audience: str | None = None,
        now: float | None = None,
    ) -> TokenSet:
        """Exchange an authorization code (with PKCE when ``code_verifier`` is given)."""
        form = {
            "grant_type": "authorization_code",
            "client_id": self._client_id,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        if audience is not None:
            form["audience"] = audience
        return await self._post(form, now)

    async def _post(self, form: dict[str, str], now: float | None) -> TokenSet:
        if self._client_secret:
            form["client_secret"] = self._client_secret
        # Tesla counts expires_in from when it issued the token: take the time before asking.
        issued = time.time() if now is None else now
        answer = await exchange(
            self._session, "POST", self.token_url, timeout=self._timeout, what="the token endpoint", data=form
        )
        status, text = answer.status, answer.text
        try:
            body: Any = json.loads(text) if text else {}
        except ValueError:
            body = {}
        if status >= 400:
            raise token_error(status, answer.headers, text, body)
        if not isinstance(body, Mapping):
            raise MalformedResponse("token endpoint answered without JSON", status=status)
        return TokenSet.from_response(body, issued)


def token_error(status: int, headers: Mapping[str, str], text: str, body: Any) -> ApiError:
    """What a failed answer of the token endpoint means for the caller.

    Only an answer that says the grant is no good (``invalid_grant``, Tesla's
    ``login_required``, any 401) asks for a new sign-in; another OAuth refusal (say
    ``unauthorized_client``) is an ``AuthenticationError`` too.  A rate limit, a timeout
    or a server failure leaves the refresh token unspent: wait and ask again.  So does
    a 4xx without an OAuth error code, which did not come from the OAuth server itself
    (a proxy's or firewall's page).
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    error = error if isinstance(error, str) else ""
    if status == 429:
        return RateLimited(
            "token endpoint rate limited", retry_after=_retry_after(headers, text), status=status
        )
    if status == 408:
        return RequestTimeout("the token endpoint timed out (408)", status=status)
    if status >= 500:
        return ServerError(f"token endpoint failed ({status})", status=status)
    if error in SIGN_IN_AGAIN or status == 401:
        return LoginRequired(error or "refresh token rejected", status=status)
    if error:
        return AuthenticationError(error, status=status)
    return ServerError(f"token endpoint refused ({status})", status=status)


__all__ = ["TeslaOAuth", "TokenSet", "token_error"]
