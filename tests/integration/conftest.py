"""Fixtures for the integration's tests: Home Assistant with entries on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_TESLA,
)
from simulator import FakeClock

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, SimulatorHandle
from .fault_matrix import Outage


@pytest.fixture
def clock() -> FakeClock:
    """The simulated platforms start at Home Assistant's now, as real ones would be."""
    return FakeClock(start=dt_util.utcnow().timestamp())


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def entry_data(sim: SimulatorHandle) -> dict[str, Any]:
    """A Tesla entry that uses an access token on the simulator."""
    vins = [vin for account in sim.world.accounts.values() for vin in account.vins]
    return {
        CONF_PROVIDER: PROVIDER_TESLA,
        CONF_API_URL: sim.url,
        CONF_ACCESS_TOKEN: ACCESS_TOKEN,
        CONF_VEHICLES: vins,
    }


@pytest.fixture
def config_entry(hass: HomeAssistant, entry_data: dict[str, Any]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title="owner@example.com", unique_id=ACCOUNT_ID, data=entry_data)
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def setup_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture
async def outage(sim: SimulatorHandle) -> AsyncIterator[Outage]:
    """The simulator's server stopped on demand (connection refused), restarted later."""
    stopped = Outage(sim)
    yield stopped
    await stopped.close()
