"""The signed path: a car that requires Tesla's Vehicle Command Protocol, an entry that signs here.

Set up as the config flow and the Tesla app leave it, the way the integration tests do
(``tests/integration/signing_support.py``, whose registration this reuses):

* the developer application's client id and secret in Home Assistant's application
  credentials, and sign-in pointed at the simulator;
* a signed-in (OAuth) entry with ``signing: key`` and the application's domain;
* the installation's key, made by the integration in a temporary config folder;
* the domain registered with Tesla for the application (the key hosted at it), and the
  key paired with the car through the simulator's admin API (what the owner does at
  ``tesla.com/_ak/<domain>``).

None of these set-up requests is billed (auth, partner and admin calls), and none names
the car, so the day's figures are the day's requests only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import time

import aiohttp
from aiohttp.test_utils import TestServer
from homeassistant.components.application_credentials import ClientCredential, async_import_client_credential
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import (
    CONF_API_URL,
    CONF_DOMAIN,
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_SIGNING,
    CONF_VEHICLES,
    DOMAIN,
    ENV_TESLA_AUTH_URL,
    PROVIDER_TESLA,
    SIGNING_KEY,
)
from custom_components.ev_charge_control.signing import async_get_or_create_key
from simulator import World
from tests.helpers import SimulatorHandle
from tests.integration.common import AUTH_DOMAIN, CLIENT_ID, CLIENT_SECRET
from tests.integration.signing_support import DOMAIN_NAME, register_domain

from .scenario import BenchDay

# What a Home Assistant process keeps in memory for signing (custom_components/
# ev_charge_control/signing.py): the loaded key and the session store.  A restart starts
# without them, so the sessions must come back from storage.
_IN_MEMORY = (f"{DOMAIN}_signing_key", f"{DOMAIN}_signing_sessions")


async def add_signing_entry(
    hass: HomeAssistant, server: TestServer, world: World, day: BenchDay, monkeypatch: pytest.MonkeyPatch
) -> MockConfigEntry:
    """A signed-in entry that signs here, its key registered and paired with the day's cars."""
    url = str(server.make_url("")).rstrip("/")
    monkeypatch.setenv(ENV_TESLA_AUTH_URL, url)  # sign-in (token refresh) goes to the simulator
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET), AUTH_DOMAIN
    )
    key = await async_get_or_create_key(hass)
    async with aiohttp.ClientSession() as admin:
        sim = SimulatorHandle(server, world, admin)
        # Tesla's usual 8-hour tokens: Home Assistant refreshes them during the day.
        issued = await sim.call(
            "POST", f"/sim/accounts/{day.account_id}/tokens", {"client_id": CLIENT_ID, "expires_in": 8 * 3600}
        )
        await register_domain(sim, DOMAIN_NAME, key)
        for vin in day.vins:
            await sim.call("POST", f"/sim/vehicles/{vin}/signing", {"pair_key": key.public_hex()})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"{day.key}@example.com",
        unique_id=day.account_id,
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            "auth_implementation": AUTH_DOMAIN,
            # time.time() is Home Assistant's frozen clock here, the simulator's too.
            "token": {**issued, "expires_at": time.time() + issued["expires_in"]},
            CONF_API_URL: url,
            CONF_VEHICLES: list(day.vins),
            CONF_KNOWN_VEHICLES: list(day.vins),
            CONF_SIGNING: SIGNING_KEY,
            CONF_DOMAIN: DOMAIN_NAME,
        },
    )
    entry.add_to_hass(hass)
    return entry


async def stop_home_assistant(
    hass: HomeAssistant, entry: MockConfigEntry, settle: Callable[[], Awaitable[None]]
) -> None:
    """What a Home Assistant stop does to the entry: unloaded, pending saves written
    (``EVENT_HOMEASSISTANT_FINAL_WRITE``), and nothing of it left in memory.  Setting
    the entry up again is the start.

    Storage is the test harness's in-memory stand-in for ``.storage``; a new process
    would read the same data.
    """
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await settle()
    for name in _IN_MEMORY:
        # Fails loudly if the integration keeps them elsewhere now: the restart would
        # then not go through storage, and would prove nothing.
        assert name in hass.data, name
        del hass.data[name]
