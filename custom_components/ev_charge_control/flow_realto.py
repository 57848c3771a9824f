"""re.alto: the platform URL and the client credentials re.alto issued; reauth and
reconfigure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult
import voluptuous as vol

from .api.realto.const import BASE_URL as REALTO_BASE_URL
from .const import CONF_API_URL, CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_PROVIDER, PROVIDER_REALTO
from .flow_base import PASSWORD, URL_FIELD, FlowBase, valid_api_url
from .setup_realto import async_probe_realto


def realto_schema(values: Mapping[str, Any], *, with_url: bool = True) -> vol.Schema:
    """The credentials (and the platform URL), filled in but for the secret."""
    fields: dict[vol.Marker, Any] = {}
    if with_url:
        fields[vol.Required(CONF_API_URL, default=values.get(CONF_API_URL, REALTO_BASE_URL))] = URL_FIELD
    fields[vol.Required(CONF_CLIENT_ID, default=values.get(CONF_CLIENT_ID, ""))] = str
    fields[vol.Required(CONF_CLIENT_SECRET)] = PASSWORD
    return vol.Schema(fields)


class RealtoSteps(FlowBase):
    """re.alto's client credentials."""

    async def async_step_realto(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """re.alto: the platform URL and the client credentials re.alto issued."""
        if user_input is None:
            return await self._async_show_realto({})
        errors = self._realto_input(user_input, api_url=str(user_input.get(CONF_API_URL) or ""))
        if errors:
            return await self._async_show_realto(errors, user_input)
        return await self._async_test_and_finish(async_probe_realto, self._async_show_realto)

    async def _async_show_realto(
        self, errors: dict[str, str], user_input: Mapping[str, Any] | None = None
    ) -> ConfigFlowResult:
        schema = realto_schema(user_input or self._data)
        return self.async_show_form(step_id="realto", data_schema=schema, errors=errors or None)

    def _realto_input(self, user_input: Mapping[str, Any], *, api_url: str) -> dict[str, str]:
        """Check re.alto's fields and keep them; returns form errors."""
        errors: dict[str, str] = {}
        data = {key: str(user_input.get(key) or "").strip() for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET)}
        data[CONF_API_URL] = api_url.strip().rstrip("/")
        if not valid_api_url(data[CONF_API_URL]):
            errors[CONF_API_URL] = "invalid_url"
        for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET):
            if not data[key]:
                errors[key] = "empty_field"
        if not errors:
            self._data = {**self._data, CONF_PROVIDER: PROVIDER_REALTO, **data}
        return errors

    async def async_step_reauth_realto(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """New client credentials for a re.alto entry."""
        self._data = dict(self._get_reauth_entry().data)
        if user_input is None:
            return await self._async_show_reauth_realto({})
        errors = self._realto_input(user_input, api_url=self._data[CONF_API_URL])
        if errors:
            return await self._async_show_reauth_realto(errors)
        return await self._async_test_and_finish(async_probe_realto, self._async_show_reauth_realto)

    async def _async_show_reauth_realto(self, errors: dict[str, str]) -> ConfigFlowResult:
        schema = realto_schema(self._data, with_url=False)
        return self.async_show_form(step_id="reauth_realto", data_schema=schema, errors=errors or None)

    async def async_step_reconfigure_realto(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the platform URL."""
        return await self._async_reconfigure_url("reconfigure_realto", async_probe_realto, user_input)
