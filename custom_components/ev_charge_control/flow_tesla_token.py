"""Tesla through something that holds the token or the key: an access token for a
compatible service or proxy, or a signed-in account's commands through tesla-http-proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
import os
from typing import Any

from homeassistant.config_entries import ConfigFlowResult
import voluptuous as vol

from .api.tesla.const import BASE_URL_NA
from .const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_CA_FILE,
    CONF_DOMAIN,
    CONF_PROVIDER,
    CONF_PROXY_URL,
    CONF_SIGNING,
    PROVIDER_TESLA,
)
from .flow_base import PASSWORD, URL_FIELD, FlowBase, valid_api_url
from .setup_tesla import async_probe_tesla

REAUTH_TOKEN_SCHEMA = vol.Schema({vol.Required(CONF_ACCESS_TOKEN): PASSWORD})
PROXY_SCHEMA = vol.Schema({vol.Optional(CONF_PROXY_URL): URL_FIELD, vol.Optional(CONF_CA_FILE): str})


class TeslaTokenSteps(FlowBase):
    """An access token issued outside Home Assistant, or a local signing proxy."""

    async def async_step_tesla_token(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """An access token for a compatible endpoint or a proxy that issues its own."""
        errors: dict[str, str] = {}
        if user_input is not None:
            api_url = str(user_input.get(CONF_API_URL, "")).strip().rstrip("/")
            token = str(user_input.get(CONF_ACCESS_TOKEN, "")).strip()
            if not valid_api_url(api_url):
                errors[CONF_API_URL] = "invalid_url"
            if not token:
                errors[CONF_ACCESS_TOKEN] = "empty_token"
            if not errors:
                self._data = {CONF_PROVIDER: PROVIDER_TESLA, CONF_API_URL: api_url, CONF_ACCESS_TOKEN: token}
                return await self._async_test_and_finish(async_probe_tesla, self._async_show_tesla_token)
        return await self._async_show_tesla_token(errors, user_input)

    async def _async_show_tesla_token(
        self, errors: dict[str, str], user_input: Mapping[str, Any] | None = None
    ) -> ConfigFlowResult:
        # The token is never offered back; the URL is.
        api_url = (user_input or self._data).get(CONF_API_URL, BASE_URL_NA)
        schema = vol.Schema(
            {
                vol.Required(CONF_API_URL, default=api_url): URL_FIELD,
                vol.Required(CONF_ACCESS_TOKEN): PASSWORD,
            }
        )
        return self.async_show_form(step_id="tesla_token", data_schema=schema, errors=errors)

    async def async_step_reauth_token(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A new access token for a token-based entry."""
        if user_input is not None:
            token = str(user_input.get(CONF_ACCESS_TOKEN, "")).strip()
            if not token:
                return await self._async_show_reauth_token({CONF_ACCESS_TOKEN: "empty_token"})
            self._data = {**self._get_reauth_entry().data, CONF_ACCESS_TOKEN: token}
            return await self._async_test_and_finish(async_probe_tesla, self._async_show_reauth_token)
        return await self._async_show_reauth_token({})

    async def _async_show_reauth_token(self, errors: dict[str, str]) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="reauth_token", data_schema=REAUTH_TOKEN_SCHEMA, errors=errors or None
        )

    async def async_step_reconfigure_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the API URL a token entry talks to."""
        return await self._async_reconfigure_url("reconfigure_token", async_probe_tesla, user_input)

    # ----------------------------------------------------------- the proxy
    async def async_step_oauth_api(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Route a signed-in account's commands through a local tesla-http-proxy, which signs."""
        if user_input is None:
            return await self._async_show_proxy({})
        errors: dict[str, str] = {}
        proxy = str(user_input.get(CONF_PROXY_URL) or "").strip().rstrip("/")
        ca_file = str(user_input.get(CONF_CA_FILE) or "").strip()
        if proxy and not valid_api_url(proxy):
            errors[CONF_PROXY_URL] = "invalid_url"
        if ca_file and not await self.hass.async_add_executor_job(os.path.isfile, ca_file):
            errors[CONF_CA_FILE] = "invalid_ca_file"
        if errors:
            return await self._async_show_proxy(errors, user_input)
        for key, value in ((CONF_PROXY_URL, proxy), (CONF_CA_FILE, ca_file)):
            if value:
                self._data[key] = value
            else:
                self._data.pop(key, None)
        # The proxy signs, or nothing does: this installation's key is not used.
        self._data.pop(CONF_SIGNING, None)
        self._data.pop(CONF_DOMAIN, None)
        return await self._async_test_and_finish(async_probe_tesla, self._async_show_proxy)

    async def _async_show_proxy(
        self, errors: dict[str, str], user_input: Mapping[str, Any] | None = None
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="oauth_api",
            data_schema=self.add_suggested_values_to_schema(PROXY_SCHEMA, user_input or self._data),
            errors=errors or None,
        )
