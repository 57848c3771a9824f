"""Tesla sign-in through Home Assistant's application credentials (OAuth2)."""

from __future__ import annotations

import json
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
from .api.tesla import BASE_URLS, SCOPES, TeslaOAuth
from .api.tesla.client import DEFAULT_TIMEOUT
from .api.tesla.const import AUTHORIZE_URL, TOKEN_URL
from .api.transport import exchange
from .const import ENV_TESLA_AUTH_URL, LOGGER


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
        # Tesla wants the regional Fleet API as audience; the code's prefix names it.
        code = str(external_data.get("code", ""))
        region = code.split("_", 1)[0].lower() if "_" in code else "na"
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": external_data["state"]["redirect_uri"],
            "audience": BASE_URLS.get(region, BASE_URLS["na"]),
        }
        return await self._token_request(data)

    @override
    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange the sign-in's code, through the one transport every request uses.

        Home Assistant's own request follows redirects, and a 307 would post the code
        and the client secret to whatever host it names.  Failures are raised as the
        aiohttp errors Home Assistant's flow turns into its abort reasons.
        """
        form = {**data, "client_id": self.client_id}
        if self.client_secret:
            form["client_secret"] = self.client_secret
        try:
            answer = await exchange(
                async_get_clientsession(self.hass),
                "POST",
                self.token_url,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_TIMEOUT),
                what="the token endpoint",
                data=form,
            )
        except RequestTimeout as err:
            raise TimeoutError(err.message) from err
        except ApiError as err:
            raise aiohttp.ClientError(err.message) from err
        try:
            body: Any = json.loads(answer.text)
        except ValueError:
            body = None
        if answer.status >= 400 or not isinstance(body, dict):
            error = body.get("error", "unknown") if isinstance(body, dict) else "no JSON"
            LOGGER.error("Signing in with Tesla failed (%s): %s", answer.status, error)
            raise aiohttp.ClientResponseError(
                aiohttp.RequestInfo(URL(self.token_url), "POST", CIMultiDictProxy(CIMultiDict())),
                (),
                status=answer.status,
                message=str(error),
            )
        return body

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
        oauth = TeslaOAuth(
            async_get_clientsession(self.hass),
            self.client_id,
            client_secret=self.client_secret or None,
            token_url=self.token_url,
            request_timeout=DEFAULT_TIMEOUT,
        )
        now = time.time()
        tokens = await oauth.refresh(str(token["refresh_token"]), now=now)
        return {
            **token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": round(tokens.expires_at - now),
        }
