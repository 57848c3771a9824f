"""Small helpers the integration tests share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed


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
