"""The base of every entity: one device per vehicle, named as its owner named it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .data import Capability, EVData
from .helpers import handle_command_errors
from .vehicle import CommandOutcome


@callback
def async_device_id(hass: HomeAssistant, entry_id: str, unique_id: str) -> str | None:
    """The registry id of a car's device, for events that name it.

    Looked up among the entry's devices: identifiers are unique per entry only, and
    newer Home Assistant reports a lookup by identifier across entries.
    """
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id):
        if (DOMAIN, unique_id) in device.identifiers:
            return device.id
    return None


class VehicleEntityDescription(Protocol):
    """What every description table here carries: which capability it needs."""

    @property
    def capability(self) -> Capability | None:
        """Created only for vehicles that have it; ``None`` for every vehicle (only for
        values every provider fills)."""


@callback
def async_setup_vehicle_entities[D: VehicleEntityDescription](
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity_class: Callable[[VehicleCoordinator, D], Entity],
    descriptions: Iterable[D],
) -> None:
    """Add a platform's entities, from its description table, for every vehicle that
    can have them: the vehicles set up now, and those that join the account later."""
    table = tuple(descriptions)

    @callback
    def add(coordinators: list[VehicleCoordinator]) -> None:
        async_add_entities(
            entity_class(coordinator, description)
            for coordinator in coordinators
            for description in table
            if description.capability is None or description.capability in coordinator.vehicle.capabilities
        )

    add(list(entry.runtime_data.coordinators.values()))
    entry.async_on_unload(entry.runtime_data.async_add_listener(add))


class EVEntity(CoordinatorEntity[VehicleCoordinator]):
    """An entity of one vehicle.

    It stays available while the car sleeps (the coordinator keeps the last values), so
    a car asleep since setup still has controls that can wake it.
    """

    _attr_has_entity_name = True

    def __init__(self, coordinator: VehicleCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        vehicle = coordinator.vehicle
        self.entity_description = description
        self._attr_unique_id = f"{vehicle.unique_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, vehicle.unique_id)},
            name=vehicle.name,
            manufacturer=vehicle.manufacturer,
            model=vehicle.model,
            serial_number=vehicle.serial_number,
        )

    @property
    def data(self) -> EVData:
        """The vehicle's last known values (all unknown before the first fetch)."""
        return self.coordinator.data or EVData()

    @override
    async def async_update(self) -> None:
        """``homeassistant.update_entity``: the user wants fresh values, worth a data call."""
        self.coordinator.vehicle.request_fresh_data()
        await super().async_update()

    async def async_run_command(self, send: Callable[[], Awaitable[CommandOutcome]]) -> None:
        """Send a command; on failure the entity shows its real state again."""
        try:
            async with handle_command_errors(self.coordinator):
                await self.coordinator.async_command(send)
        finally:
            self.async_write_ha_state()
