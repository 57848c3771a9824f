"""Buttons: charge port open/close, and the standard and max-range charge limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import EVChargeControlConfigEntry
from .data import Capability, EVData
from .entity import EVEntity, async_setup_vehicle_entities
from .vehicle import CommandOutcome, Vehicle

# No platform limit (see switch.py): from Home Assistant 2026 it would make presses on
# a sleeping Tesla wake it one by one instead of sharing one wake.
PARALLEL_UPDATES = 0


def _never(_data: EVData) -> bool:
    return False


@dataclass(frozen=True, kw_only=True)
class EVButtonEntityDescription(ButtonEntityDescription):
    """A button that sends one command."""

    capability: Capability
    press_fn: Callable[[Vehicle], Awaitable[CommandOutcome]]
    already_fn: Callable[[EVData], bool] = _never
    """True when the car is known to be there already: nothing is sent."""


BUTTONS: tuple[EVButtonEntityDescription, ...] = (
    EVButtonEntityDescription(
        key="open_charge_port",
        translation_key="open_charge_port",
        capability=Capability.CHARGE_PORT,
        press_fn=lambda vehicle: vehicle.async_open_charge_port(),
    ),
    EVButtonEntityDescription(
        key="close_charge_port",
        translation_key="close_charge_port",
        capability=Capability.CHARGE_PORT,
        press_fn=lambda vehicle: vehicle.async_close_charge_port(),
        already_fn=lambda data: data.charge_port_open is False,
    ),
    EVButtonEntityDescription(
        key="max_range",
        translation_key="max_range",
        capability=Capability.CHARGE_LIMIT_PRESETS,
        press_fn=lambda vehicle: vehicle.async_charge_max_range(),
        already_fn=lambda data: data.charge_limit is not None and data.charge_limit == data.charge_limit_max,
    ),
    EVButtonEntityDescription(
        key="standard_range",
        translation_key="standard_range",
        capability=Capability.CHARGE_LIMIT_PRESETS,
        press_fn=lambda vehicle: vehicle.async_charge_standard(),
        already_fn=lambda data: (
            data.charge_limit is not None and data.charge_limit == data.charge_limit_standard
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_setup_vehicle_entities(entry, async_add_entities, EVButton, BUTTONS)


class EVButton(EVEntity, ButtonEntity):
    """A vehicle button."""

    entity_description: EVButtonEntityDescription

    @override
    async def async_press(self) -> None:
        description = self.entity_description
        if description.already_fn(self.data):
            # Skip on current values only: the port may have been opened at the car, or
            # the limit changed in the app, since they were fetched.
            data = await self.coordinator.async_data_for_decision()
            if description.already_fn(data):
                return
        await self.async_run_command(lambda: description.press_fn(self.coordinator.vehicle))
