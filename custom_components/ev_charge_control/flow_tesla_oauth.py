"""Tesla by signing in: OAuth, how commands reach the cars, signing and pairing, reauth.

Every Tesla but a pre-2021 Model S or X takes signed commands only.  After signing
in, the user chooses how commands reach the cars: signed here with this
installation's key (registered for the application's domain, then paired with each
car), through tesla-http-proxy (flow_tesla_token.py), or plain commands for pre-2021
Model S and X.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.network import NoURLAvailableError, get_url
import voluptuous as vol
from yarl import URL

from .api import ApiError
from .compat import ImplementationUnavailableError
from .const import (
    CONF_API_URL,
    CONF_CA_FILE,
    CONF_DOMAIN,
    CONF_PROVIDER,
    CONF_PROXY_URL,
    CONF_SIGNING,
    PROVIDER_TESLA,
    SIGNING_KEY,
)
from .flow_base import FlowBase, error_key
from .partner import Application, async_register
from .public_key_view import async_serve_public_key
from .repairs import pairing_schema
from .setup_tesla import async_probe_tesla, async_unpaired
from .signing import PUBLIC_KEY_PATH, async_get_or_create_key, normalize_domain, pairing_url, public_key_url
from .tesla_token import region_base_url

# How a signed-in Tesla account's commands reach cars that need them signed.
COMMAND_ROUTES = ["signing_domain", "oauth_api", "plain_commands"]
CONF_PAIR_LATER = "pair_later"


class TeslaOAuthSteps(FlowBase):
    """Sign in with Tesla, then choose how commands are signed."""

    async def async_step_tesla_oauth(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self.async_step_pick_implementation()

    @override
    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Signed in with Tesla: find the region, then how commands reach the cars."""
        if self.source == SOURCE_REAUTH:
            entry = self._get_reauth_entry()
            self._data = {
                **entry.data,
                "token": data["token"],
                "auth_implementation": data["auth_implementation"],
            }
            return await self._async_test_and_finish(async_probe_tesla, None)
        self._data = {
            **self._data,
            CONF_PROVIDER: PROVIDER_TESLA,
            **data,
            CONF_API_URL: region_base_url(data["token"]["access_token"]),
        }
        return await self.async_step_commands()

    async def async_step_commands(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """How commands reach the cars that take signed commands only."""
        return self.async_show_menu(step_id="commands", menu_options=COMMAND_ROUTES)

    async def async_step_reconfigure_commands(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A signed-in account: choose again how commands reach the cars (then the cars)."""
        self._data = dict(self._get_reconfigure_entry().data)
        return self.async_show_menu(step_id="reconfigure_commands", menu_options=COMMAND_ROUTES)

    async def async_step_plain_commands(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Plain commands: enough for pre-2021 Model S and X."""
        for key in (CONF_PROXY_URL, CONF_CA_FILE, CONF_SIGNING, CONF_DOMAIN):
            self._data.pop(key, None)
        return await self._async_test_and_finish(async_probe_tesla, None)

    # ------------------------------------------------------------ signing
    async def async_step_signing_domain(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign here: the application's domain hosts our public key; Tesla registers it."""
        key = await async_get_or_create_key(self.hass)
        async_serve_public_key(self.hass)
        errors: dict[str, str] = {}
        detail = ""
        if user_input is not None:
            domain = normalize_domain(str(user_input.get(CONF_DOMAIN) or ""))
            if domain is None:
                errors[CONF_DOMAIN] = "invalid_domain"
            else:
                try:
                    app = await self._async_application()
                except (ImplementationUnavailableError, ValueError):
                    # The application credentials were deleted since signing in: older
                    # Home Assistant raises ValueError, 2026.10+ UnknownImplementationError
                    # (a ConfigEntryAuthFailed that is also a ValueError).
                    return self.async_abort(reason="missing_credentials")
                problem = await async_register(self.hass, app, self._data[CONF_API_URL], domain, key)
                if problem is None:
                    for stale in (CONF_PROXY_URL, CONF_CA_FILE):
                        self._data.pop(stale, None)
                    self._data.update({CONF_SIGNING: SIGNING_KEY, CONF_DOMAIN: domain})
                    return await self._async_test_and_finish(
                        async_probe_tesla, self._async_show_signing_domain
                    )
                errors["base"], detail = problem
        return await self._async_show_signing_domain(errors, user_input, detail)

    async def _async_show_signing_domain(
        self, errors: dict[str, str], user_input: Mapping[str, Any] | None = None, detail: str = ""
    ) -> ConfigFlowResult:
        key = await async_get_or_create_key(self.hass)
        suggested = (user_input or {}).get(CONF_DOMAIN) or self._data.get(CONF_DOMAIN) or self._own_domain()
        schema = self.add_suggested_values_to_schema(
            vol.Schema({vol.Required(CONF_DOMAIN): str}), {CONF_DOMAIN: suggested} if suggested else {}
        )
        domain = normalize_domain(str(suggested or "")) or "<your-domain>"
        return self.async_show_form(
            step_id="signing_domain",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "public_key": key.public_pem().decode().strip(),
                "key_path": PUBLIC_KEY_PATH,
                "key_url": public_key_url(domain),
                "detail": detail,
            },
        )

    def _own_domain(self) -> str | None:
        """Where this Home Assistant is reached: it serves the key there by itself."""
        try:
            url = URL(get_url(self.hass, prefer_external=True))
        except NoURLAvailableError:
            return None
        host = url.host or ""
        # Only a domain Tesla could use: not a LAN address with a port.
        return normalize_domain(host if url.explicit_port is None else f"{host}:{url.explicit_port}")

    async def _async_application(self) -> Application:
        """The developer application behind the sign-in: its client id, secret and token URL."""
        if self.source == SOURCE_RECONFIGURE:
            implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
                self.hass, self._get_reconfigure_entry()
            )
        else:
            implementation = self.flow_impl
        assert isinstance(implementation, config_entry_oauth2_flow.LocalOAuth2Implementation)
        return Application(implementation.client_id, implementation.client_secret, implementation.token_url)

    @override
    async def _async_after_test(self) -> ConfigFlowResult:
        assert self._found is not None
        if self._data.get(CONF_SIGNING) == SIGNING_KEY and self._found.needs_pairing:
            return await self.async_step_signing_pair()
        return await super()._async_after_test()

    async def async_step_signing_pair(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Each car that needs signing must know the key: the owner pairs it in the Tesla app."""
        assert self._found is not None
        needing = self._found.needs_pairing
        domain = str(self._data[CONF_DOMAIN])
        errors: dict[str, str] = {}
        placeholders = {
            "pairing_url": pairing_url(domain),
            "domain": domain,
            "cars": ", ".join(needing.values()),
            "unpaired": "",
        }
        if user_input is not None:
            if user_input.get(CONF_PAIR_LATER):
                return await super()._async_after_test()
            try:
                unpaired = await async_unpaired(self.hass, self._data, self._reconfiguring(), list(needing))
            except ApiError as err:
                errors["base"] = error_key(err)
            else:
                if not unpaired:
                    return await super()._async_after_test()
                errors["base"] = "not_paired"
                placeholders["unpaired"] = ", ".join(needing[vin] for vin in needing if vin in unpaired)
        schema = pairing_schema(domain).extend({vol.Optional(CONF_PAIR_LATER, default=False): bool})
        return self.async_show_form(
            step_id="signing_pair", data_schema=schema, errors=errors, description_placeholders=placeholders
        )

    # ------------------------------------------------------------------ reauth
    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign in with Tesla again."""
        if user_input is None:
            return self.async_show_form(step_id="reauth_confirm")
        return await self.async_step_pick_implementation()
