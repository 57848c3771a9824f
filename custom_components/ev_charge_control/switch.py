"""Switches: charging on/off, and scheduled charging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import SwitchDeviceClass
from .coordinator import EVChargeControlConfigEntry
from .data import Capability, EVData
from .entity import EVEntity, async_setup_vehicle_entities
from .helpers import refuse
from .ready_by_entities import READY_BY_SWITCHES, ReadyBySwitch
from .vehicle import CommandOutcome, Vehicle

# No platform limit: a Tesla serialises its own commands per car, and re.alto's
# platform refuses a second command within its cooldown.  A limit here would, from
# Home Assistant 2026 (which applies it to single-entity calls too), hold a control
# back until the one before it finished: controls pressed while a Tesla is asleep
# would each wake it in turn instead of sharing one wake.
PARALLEL_UPDATES = 0


def _never(_data: EVData) -> str | None:
    return None


def _cannot_start(data: EVData) -> str | None:
    """Why charging cannot start, when the last known values already say so."""
    if data.plugged_in is False:
        return "not_plugged_in"
    if (
        data.battery_level is not None
        and data.charge_limit is not None
        and data.battery_level >= data.charge_limit
    ):
        return "charge_limit_reached"
    return None


def _keep_schedule_time(vehicle: Vehicle, data: EVData, enable: bool) -> Awaitable[CommandOutcome]:
    if data.scheduled_charging_minutes is None:
        raise refuse("scheduled_time_unknown")
    return vehicle.async_set_scheduled_charging(enable, data.scheduled_charging_minutes)


@dataclass(frozen=True, kw_only=True)
class EVSwitchEntityDescription(SwitchEntityDescription):
    """A switch that sends one command to turn on and another to turn off."""

    capability: Capability
    is_on_fn: Callable[[EVData], bool | None]
    turn_on_fn: Callable[[Vehicle, EVData], Awaitable[CommandOutcome]]
    turn_off_fn: Callable[[Vehicle, EVData], Awaitable[CommandOutcome]]
    refuse_on_fn: Callable[[EVData], str | None] = _never


SWITCHES: tuple[EVSwitchEntityDescription, ...] = (
    EVSwitchEntityDescription(
        key="charging",
        translation_key="charging",
        device_class=SwitchDeviceClass.SWITCH,
        capability=Capability.CHARGING,
        is_on_fn=lambda data: data.charging,
        turn_on_fn=lambda vehicle, _data: vehicle.async_start_charging(),
        turn_off_fn=lambda vehicle, _data: vehicle.async_stop_charging(),
        refuse_on_fn=_cannot_start,
    ),
    EVSwitchEntityDescription(
        key="scheduled_charging",
        translation_key="scheduled_charging",
        # No device class: a setting, not the car's charging.  It also lets a selector
        # (the solar blueprint's ``device_class: switch``) offer only the Charging switch.
        capability=Capability.SCHEDULED_CHARGING,
        is_on_fn=lambda data: data.scheduled_charging_enabled,
        turn_on_fn=lambda vehicle, data: _keep_schedule_time(vehicle, data, True),
        turn_off_fn=lambda vehicle, data: _keep_schedule_time(vehicle, data, False),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_setup_vehicle_entities(entry, async_add_entities, EVSwitch, SWITCHES)
    async_setup_vehicle_entities(entry, async_add_entities, ReadyBySwitch, READY_BY_SWITCHES)


class EVSwitch(EVEntity, SwitchEntity):
    """A vehicle switch."""

    entity_description: EVSwitchEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.data)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        description = self.entity_description
        data = self.data
        if description.is_on_fn(data) is True or description.refuse_on_fn(data) is not None:
            # Skip or refuse on current values only: a car may have started charging by
            # itself, or been plugged in, since they were fetched.
            data = await self.coordinator.async_data_for_decision()
        if description.is_on_fn(data) is True:
            return  # Already on: sending it again would only cost a command.
        if (reason := description.refuse_on_fn(data)) is not None:
            raise refuse(reason, name=self.coordinator.vehicle.name)
        await self.async_run_command(lambda: description.turn_on_fn(self.coordinator.vehicle, data))

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        data = self.data
        if self.entity_description.is_on_fn(data) is False:
            data = await self.coordinator.async_data_for_decision()
        if self.entity_description.is_on_fn(data) is False:
            return
        await self.async_run_command(
            lambda: self.entity_description.turn_off_fn(self.coordinator.vehicle, data)
        )
