"""Tesla sign-in through Home Assistant's application credentials (OAuth2)."""

from __future__ import annotations

import os
import time
from typing import Any, override

import aiohttp
from homeassistant.components.application_credentials import (
    AuthImplementation,
    AuthorizationServer,
    ClientCredential,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .api import ApiError, RequestTimeout
from .api.tesla import BASE_URLS, SCOPES, TeslaOAuth, TokenSet
from .api.tesla.client import DEFAULT_TIMEOUT
from .api.tesla.const import AUTHORIZE_URL, TOKEN_URL
from .const import ENV_TESLA_AUTH_URL


def _authorization_server() -> AuthorizationServer:
    # A developer override (the simulator, in the demo and end-to-end tests).
    if base := os.environ.get(ENV_TESLA_AUTH_URL):
        base = base.rstrip("/")
        return AuthorizationServer(f"{base}/oauth2/v3/authorize", f"{base}/oauth2/v3/token")
    return AuthorizationServer(AUTHORIZE_URL, TOKEN_URL)


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> config_entry_oauth2_flow.AbstractOAuth2Implementation:
    # Home Assistant asks a platform for its authorization server only when it has no
    # implementation of its own, so this is the one place the server is chosen.
    return TeslaImplementation(hass, auth_domain, credential, _authorization_server())


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    return {
        "developer_url": "https://developer.tesla.com/dashboard",
        "redirect_url": "https://my.home-assistant.io/redirect/oauth",
    }


class TeslaImplementation(AuthImplementation):
    """Tesla's authorization-code flow: the scopes to ask for, and the audience."""

    @property
    @override
    def extra_authorize_data(self) -> dict[str, Any]:
        # prompt_missing_scopes lets users who unticked a permission grant it again.
        return {"scope": " ".join(SCOPES), "prompt": "login", "prompt_missing_scopes": "true"}

    @override
    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        """Exchange the sign-in's code through the library, as refreshes are.

        Home Assistant's own token request follows redirects, and a 307 would post the
        code and the client secret to whatever host it names.  Failures are raised as
        the errors Home Assistant's flow turns into its abort reasons.
        """
        # Tesla wants the regional Fleet API as audience; the code's prefix names it.
        code = str(external_data.get("code", ""))
        region = code.split("_", 1)[0].lower() if "_" in code else "na"
        now = time.time()
        try:
            tokens = await self._oauth().exchange_code(
                code,
                external_data["state"]["redirect_uri"],
                audience=BASE_URLS.get(region, BASE_URLS["na"]),
                now=now,
            )
        except RequestTimeout as err:
            raise TimeoutError(err.message) from err
        except ApiError as err:
            if err.status is None:
                raise aiohttp.ClientError(err.message) from err
            raise aiohttp.ClientResponseError(
                aiohttp.RequestInfo(URL(self.token_url), "POST", CIMultiDictProxy(CIMultiDict())),
                (),
                status=err.status,
                message=err.message,
            ) from err
        return {**_as_token(tokens, now), "token_type": "Bearer"}

    @override
    async def _async_refresh_token(self, token: dict[str, Any]) -> dict[str, Any]:
        """Spend the refresh token; a failure raises the API's own error, by its body.

        Home Assistant's token request raises ``ClientResponseError``, which has no body,
        so a rate limit could not be told from a spent refresh token; newer releases
        turn every 4xx but 429 into a reauthentication by themselves.  The library reads
        Tesla's answer: ``LoginRequired`` only when the grant is no good, ``RateLimited``,
        ``RequestTimeout`` or ``ServerError`` when it is merely not now.  No aiohttp error
        leaves here, so Home Assistant's own mapping never sees one.
        """
        now = time.time()
        tokens = await self._oauth().refresh(str(token["refresh_token"]), now=now)
        return {**token, **_as_token(tokens, now)}

    def _oauth(self) -> TeslaOAuth:
        return TeslaOAuth(
            async_get_clientsession(self.hass),
            self.client_id,
            client_secret=self.client_secret or None,
            token_url=self.token_url,
            request_timeout=DEFAULT_TIMEOUT,
        )


def _as_token(tokens: TokenSet, now: float) -> dict[str, Any]:
    """A token set as Home Assistant keeps it (it adds ``expires_at`` itself)."""
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": round(tokens.expires_at - now),
    }
