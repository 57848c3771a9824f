"""Time: the ready-by planner's departure time."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import EVChargeControlConfigEntry
from .entity import async_setup_vehicle_entities
from .ready_by_entities import READY_BY_TIMES, DepartureTime

# Settings of this integration's own planner: nothing is sent per change.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_setup_vehicle_entities(entry, async_add_entities, DepartureTime, READY_BY_TIMES)
