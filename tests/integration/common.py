"""Small helpers the integration tests share."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_charge_control.const import (
    CONF_API_URL,
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_TESLA,
)

from ..helpers import ACCOUNT_ID, VIN, SimulatorHandle

AUTH_DOMAIN = "cred"
"""The application credentials' id that OAuth entries in tests name."""


def entity_state(hass: HomeAssistant, entity_id: str) -> str:
    """An entity's state, failing clearly when the entity does not exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def sent_commands(requests: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The Tesla commands in a simulator request log: (name, JSON body)."""
    return [(r["path"].rsplit("/", 1)[-1], r["body"]) for r in requests if "/command/" in r["path"]]


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move Home Assistant's clock and let every poll that became due finish."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    # Polls run as background tasks; let them finish before time moves again.
    await hass.async_block_till_done(wait_background_tasks=True)


async def add_oauth_entry(hass: HomeAssistant, sim: SimulatorHandle) -> MockConfigEntry:
    """A Tesla entry as signing in leaves it: fresh tokens from the simulator, no proxy."""
    issued = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="owner@example.com",
        unique_id=ACCOUNT_ID,
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            "auth_implementation": AUTH_DOMAIN,
            "token": {**issued, "expires_at": time.time() + issued["expires_in"]},
            CONF_API_URL: sim.url,
            CONF_VEHICLES: [VIN],
            CONF_KNOWN_VEHICLES: [VIN],
        },
    )
    entry.add_to_hass(hass)
    return entry
