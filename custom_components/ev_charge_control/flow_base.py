"""What every provider's config-flow steps share: testing the settings, the account's
identity, and finishing as a new entry, a reauthentication or a reconfiguration.

Each provider's steps are a mixin of ``FlowBase`` (flow_tesla_oauth.py,
flow_tesla_token.py, flow_realto.py); config_flow.py puts them together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, override

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigEntry, ConfigFlowResult
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
import voluptuous as vol

from .api import (
    ApiError,
    ApiMoved,
    AuthenticationError,
    BillingLimitReached,
    CommunicationError,
    MalformedResponse,
    MissingScope,
    RateLimited,
    ServerError,
    WrongRegion,
)
from .api.urls import safe_base_url
from .const import CONF_API_URL, CONF_KNOWN_VEHICLES, CONF_VEHICLES, DOMAIN, LOGGER
from .provider import AccountFound, CredentialsGone, Probe

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_FIELD = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))

type ShowForm = Callable[[dict[str, str]], Awaitable[ConfigFlowResult]]
"""Show a step's form again, with these errors."""


def valid_api_url(value: str) -> bool:
    """An https URL, or http to this machine only (a local proxy or the simulator).

    The API client applies the same rule to a base URL an API names (a wrong-region
    answer), so whatever becomes the entry's API URL has passed it.
    """
    return safe_base_url(value)


def error_key(err: ApiError) -> str:
    """The form error for a failed test of the settings."""
    if isinstance(err, AuthenticationError):
        return "invalid_auth"
    if isinstance(err, MissingScope):
        return "missing_scope"
    if isinstance(err, BillingLimitReached):
        return "billing_limit"
    if isinstance(err, ApiMoved):
        return "api_moved"
    if isinstance(err, WrongRegion):
        return "region_not_followed"
    # An answer that is not the API's (a wrong URL's web page, a broken proxy) is as
    # good as none: "Unexpected error" gave the user nothing to check.
    if isinstance(err, (CommunicationError, ServerError, RateLimited, MalformedResponse)):
        return "cannot_connect"
    if err.status == 412:
        # Tesla's "precondition failed": the application is not registered for the
        # account's region (fleet_status, vehicle calls after a region change).
        return "not_registered"
    return "unknown"


def cars_kept(entry_data: Mapping[str, Any], found: Mapping[str, str]) -> dict[str, list[str]]:
    """The entry's cars after new credentials listed the account again.

    Cars the account gained while the entry was failing are added, as a loaded entry
    adds them; cars it lost stay until the entry is set up again and removes them.
    """
    # Entries from before the cars seen were remembered: nothing is new yet.
    known = list(entry_data.get(CONF_KNOWN_VEHICLES) or found)
    new = [car for car in found if car not in known]
    kept = {CONF_KNOWN_VEHICLES: [*known, *new]}
    if (selected := entry_data.get(CONF_VEHICLES)) is not None:
        kept[CONF_VEHICLES] = [*selected, *new]
    return kept


class FlowBase(config_entry_oauth2_flow.AbstractOAuth2FlowHandler):
    """The settings collected so far, and the steps' common ending."""

    DOMAIN = DOMAIN
    VERSION = 1

    def __init__(self) -> None:
        super().__init__()
        self._data: dict[str, Any] = {}
        self._found: AccountFound | None = None

    @property
    @override
    def logger(self) -> Any:
        return LOGGER

    def _entry_changed(self) -> ConfigEntry[Any] | None:
        """The entry this flow changes: reauthenticated or reconfigured; None for a new one."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry()
        return None

    def _reconfiguring(self) -> ConfigEntry[Any] | None:
        """The entry being reconfigured: its own session refreshes a lapsed token."""
        return self._get_reconfigure_entry() if self.source == SOURCE_RECONFIGURE else None

    async def _async_test_and_finish(self, probe: Probe, show: ShowForm | None) -> ConfigFlowResult:
        """Test the settings: show errors with ``show`` (abort without one), or go on."""
        errors: dict[str, str] = {}
        entry = self._entry_changed()
        try:
            found = await probe(self.hass, self._data, self._reconfiguring())
        except ApiError as err:
            errors["base"] = error_key(err)
        except OSError:
            errors["base"] = "invalid_ca_file"
        except CredentialsGone:
            return self.async_abort(reason="missing_credentials")
        else:
            if not found.vehicles:
                errors["base"] = "no_vehicles"
        if errors:
            if show is None:
                return self.async_abort(reason=errors["base"])
            return await show(errors)
        self._found = found
        if found.api_url:
            self._data[CONF_API_URL] = found.api_url
        if entry is None:
            # Every car seen now; a car added to the account later is recognised as new.
            self._data[CONF_KNOWN_VEHICLES] = list(found.vehicles)
            await self.async_set_unique_id(found.account_id)
            self._abort_if_unique_id_configured()
            return await self._async_after_test()
        self._data.update(cars_kept(entry.data, found.vehicles))
        await self.async_set_unique_id(self._identity(entry, found))
        self._abort_if_unique_id_mismatch(reason="wrong_account")
        if self.source == SOURCE_REAUTH:
            return self.async_update_reload_and_abort(entry, data=self._data)
        return await self._async_after_test()

    @staticmethod
    def _identity(entry: ConfigEntry[Any], found: AccountFound) -> str:
        """The account's identity, the entry's own when an id made up from the cars
        changed only because the account gained or lost a car."""
        if found.account_id_is_fallback and entry.unique_id != found.account_id:
            known = set(entry.data.get(CONF_KNOWN_VEHICLES) or entry.data.get(CONF_VEHICLES) or [])
            if known & set(found.vehicles) and entry.unique_id:
                return entry.unique_id
        return found.account_id

    async def _async_after_test(self) -> ConfigFlowResult:
        """The settings work: a provider may add steps (pairing) before the cars."""
        return await self.async_step_vehicles()

    async def async_step_vehicles(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Defined by the vehicle choice (flow_vehicles.py)."""
        raise NotImplementedError

    def _url_form(self, step_id: str, url: str, errors: dict[str, str] | None = None) -> ConfigFlowResult:
        """The form that changes only the API URL (reconfigure)."""
        schema = vol.Schema({vol.Required(CONF_API_URL, default=url): URL_FIELD})
        return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)

    async def _async_reconfigure_url(
        self, step_id: str, probe: Probe, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Reconfigure an entry whose only setting besides its credentials is the API URL."""
        entry = self._get_reconfigure_entry()
        self._data = dict(entry.data)

        async def show(errors: dict[str, str]) -> ConfigFlowResult:
            return self._url_form(step_id, self._data[CONF_API_URL], errors)

        if user_input is None:
            return self._url_form(step_id, entry.data[CONF_API_URL])
        api_url = str(user_input.get(CONF_API_URL, "")).strip().rstrip("/")
        if not valid_api_url(api_url):
            return self._url_form(step_id, api_url, {CONF_API_URL: "invalid_url"})
        self._data[CONF_API_URL] = api_url
        return await self._async_test_and_finish(probe, show)
