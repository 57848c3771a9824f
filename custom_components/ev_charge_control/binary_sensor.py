"""Binary sensors: plugged in, charging as the car reports it, charge port open, and awake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import BinarySensorDeviceClass
from .coordinator import EVChargeControlConfigEntry
from .data import Capability, EVData
from .entity import EVEntity, async_setup_vehicle_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EVBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor reading the vehicle's data."""

    capability: Capability | None = None
    """Created only when the vehicle has it; ``None`` for every vehicle, so only for
    values every provider fills (an entity a provider never fills is unknown forever)."""
    is_on_fn: Callable[[EVData], bool | None]


BINARY_SENSORS: tuple[EVBinarySensorEntityDescription, ...] = (
    EVBinarySensorEntityDescription(
        key="plugged_in",
        translation_key="plugged_in",
        device_class=BinarySensorDeviceClass.PLUG,
        is_on_fn=lambda data: data.plugged_in,
    ),
    EVBinarySensorEntityDescription(
        # What the car reports, unlike the Charging switch, which shows the state asked
        # for from the moment a command is accepted until the car's reading follows.
        key="charging_measured",
        translation_key="charging_measured",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        capability=Capability.MEASURED_CHARGING,
        is_on_fn=lambda data: data.charging_measured,
    ),
    EVBinarySensorEntityDescription(
        key="charge_port_open",
        translation_key="charge_port_open",
        device_class=BinarySensorDeviceClass.DOOR,
        capability=Capability.CHARGE_PORT,
        is_on_fn=lambda data: data.charge_port_open,
    ),
    EVBinarySensorEntityDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.AWAKE_STATE,
        is_on_fn=lambda data: data.online,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_setup_vehicle_entities(entry, async_add_entities, EVBinarySensor, BINARY_SENSORS)


class EVBinarySensor(EVEntity, BinarySensorEntity):
    """A vehicle binary sensor."""

    entity_description: EVBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.data)
