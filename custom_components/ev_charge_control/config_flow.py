"""Adding an account: a menu of every provider's ways in, then its steps.

Each provider's steps live in their own module (flow_tesla_oauth.py,
flow_tesla_token.py, flow_realto.py), the shared ending in flow_base.py and the car
choice in flow_vehicles.py.  Reauth and reconfigure go to the step the entry's
provider names.  Credentials are tested before an entry is created; the entry's
unique id is the account's identity as the API reports it, never something the user
typed, so the same account cannot be added twice and a reauthentication cannot
switch accounts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, override

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback

from .const import DOMAIN
from .flow_realto import RealtoSteps
from .flow_tesla_oauth import TeslaOAuthSteps
from .flow_tesla_token import TeslaTokenSteps
from .flow_vehicles import VehicleSteps
from .options_flow import EVChargeControlOptionsFlow
from .providers import PROVIDERS, provider_of


class EVChargeControlConfigFlow(TeslaOAuthSteps, TeslaTokenSteps, RealtoSteps, VehicleSteps, domain=DOMAIN):
    """The menu, and the way to each provider's reauth and reconfigure steps."""

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        return EVChargeControlOptionsFlow()

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        options = [step for provider in PROVIDERS.values() for step in provider.menu_steps]
        return self.async_show_menu(step_id="user", menu_options=options)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        return await self._async_provider_step(entry_data, reauth=True)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_provider_step(self._get_reconfigure_entry().data, reauth=False)

    async def _async_provider_step(self, entry_data: Mapping[str, Any], *, reauth: bool) -> ConfigFlowResult:
        provider = provider_of(entry_data)
        if provider is None:
            return self.async_abort(reason="unknown_provider")
        step_id = provider.reauth_step(entry_data) if reauth else provider.reconfigure_step(entry_data)
        step: Callable[[], Awaitable[ConfigFlowResult]] = getattr(self, f"async_step_{step_id}")
        return await step()
