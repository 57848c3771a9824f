"""Numbers: the charge limit and the charging current.

A dragged slider or a looping automation can ask for dozens of values a minute; users
of other integrations saw 300 commands an hour.  Changes are therefore coalesced: the
entity shows the newest value at once, and one command with the final value goes out
``COALESCE_DELAY`` seconds after the last change.  Every caller waits for that command,
so an automation still learns whether it worked.  A value the car already has is not
sent at all.

One entity sends one value at a time: a change made while a command is on its way
waits for that command's answer, and is then compared with what the car took, so the
last value asked is the value the car ends with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import math
from typing import override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, PERCENTAGE, UnitOfElectricCurrent
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later

from .const import COALESCE_DELAY
from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .data import Capability, EVData
from .entity import EVEntity, async_setup_vehicle_entities
from .helpers import refuse
from .ready_by_entities import READY_BY_NUMBERS, ReadyByTargetNumber
from .vehicle import CommandOutcome, Vehicle

# Commands are serialised per car by the vehicle itself.  A limit here would make a
# second value wait for the first one's command (Home Assistant 2026 applies it to
# single-entity calls too), and coalescing would never see two values together.
PARALLEL_UPDATES = 0


def _never(_data: EVData) -> str | None:
    return None


def _amps_refusal(data: EVData) -> str | None:
    # The current only matters with a cable in; an unplugged car would just be woken.
    return "not_plugged_in" if data.plugged_in is False else None


@dataclass(frozen=True, kw_only=True)
class EVNumberEntityDescription(NumberEntityDescription):
    """A number backed by one command."""

    capability: Capability
    value_fn: Callable[[EVData], int | None]
    min_fn: Callable[[EVData], float]
    max_fn: Callable[[EVData], float]
    set_fn: Callable[[Vehicle, int], Awaitable[CommandOutcome]]
    refuse_fn: Callable[[EVData], str | None] = _never


NUMBERS: tuple[EVNumberEntityDescription, ...] = (
    EVNumberEntityDescription(
        key="charge_limit",
        translation_key="charge_limit",
        device_class=NumberDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        native_step=1,
        mode=NumberMode.SLIDER,
        capability=Capability.CHARGE_LIMIT,
        value_fn=lambda data: data.charge_limit,
        min_fn=lambda data: data.charge_limit_min if data.charge_limit_min is not None else 50,
        max_fn=lambda data: data.charge_limit_max if data.charge_limit_max is not None else 100,
        set_fn=lambda vehicle, value: vehicle.async_set_charge_limit(value),
    ),
    EVNumberEntityDescription(
        key="charging_amps",
        translation_key="charging_amps",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_step=1,
        mode=NumberMode.SLIDER,
        capability=Capability.CHARGING_AMPS,
        value_fn=lambda data: data.charging_amps,
        min_fn=lambda _data: 1,
        max_fn=lambda data: data.charging_amps_max if data.charging_amps_max is not None else 48,
        set_fn=lambda vehicle, value: vehicle.async_set_charging_amps(value),
        refuse_fn=_amps_refusal,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_setup_vehicle_entities(entry, async_add_entities, EVNumber, NUMBERS)
    async_setup_vehicle_entities(entry, async_add_entities, ReadyByTargetNumber, READY_BY_NUMBERS)


class EVNumber(EVEntity, NumberEntity):
    """A vehicle number whose rapid changes become one command."""

    entity_description: EVNumberEntityDescription

    def __init__(self, coordinator: VehicleCoordinator, description: EVNumberEntityDescription) -> None:
        super().__init__(coordinator, description)
        self._pending: int | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._flush_unsub: CALLBACK_TYPE | None = None
        # One flush at a time: the next compares with what the previous one sent.
        self._flush_lock = asyncio.Lock()

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        # Home Assistant does not remove entities when it stops, so a change made in
        # the last seconds is sent here instead of being dropped with the timer.
        self.async_on_remove(self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_flush_on_stop))

    @property
    @override
    def native_value(self) -> float | None:
        if self._pending is not None:
            return self._pending
        return self.entity_description.value_fn(self.data)

    @property
    @override
    def native_min_value(self) -> float:
        return self.entity_description.min_fn(self.data)

    @property
    @override
    def native_max_value(self) -> float:
        return self.entity_description.max_fn(self.data)

    @override
    async def async_set_native_value(self, value: float) -> None:
        name = self.coordinator.vehicle.name
        if not math.isfinite(value) or value != int(value):
            # NaN passes Home Assistant's range check: every comparison with it is false.
            raise refuse("not_whole_number", value=str(value))
        wanted = int(value)
        low, high = self.native_min_value, self.native_max_value
        if not low <= wanted <= high:
            raise refuse("value_out_of_range", value=str(wanted), min=f"{low:g}", max=f"{high:g}")
        if self._pending is None and wanted == self.entity_description.value_fn(self.data):
            return  # The car already has this value: nothing to send, nothing to refuse.
        if self.entity_description.refuse_fn(self.data) is not None:
            # Refuse on current values only: the car may have been plugged in since.
            data = await self.coordinator.async_data_for_decision()
            if (reason := self.entity_description.refuse_fn(data)) is not None:
                raise refuse(reason, name=name)
        self._pending = wanted
        self.async_write_ha_state()
        if self._flush_unsub is not None:
            self._flush_unsub()
        self._flush_unsub = async_call_later(self.hass, COALESCE_DELAY, self._flush_later)
        waiter: asyncio.Future[None] = self.hass.loop.create_future()
        self._waiters.append(waiter)
        await waiter

    @callback
    def _flush_later(self, _now: object) -> None:
        self._flush_unsub = None
        self.hass.async_create_task(self._async_flush(), eager_start=True)

    async def _async_flush(self) -> None:
        async with self._flush_lock:
            # Taken only now: values asked while the previous command was on its way
            # are compared with the car's value after that command's answer.
            value, waiters = self._pending, self._waiters
            self._waiters = []
            error: BaseException | None = None
            try:
                if value is not None and value != self.entity_description.value_fn(self.data):
                    await self.async_run_command(
                        lambda: self.entity_description.set_fn(self.coordinator.vehicle, value)
                    )
            except Exception as err:  # noqa: BLE001 - handed to every waiting caller
                error = err
            finally:
                if self._pending == value:
                    self._pending = None
                self.async_write_ha_state()
        for waiter in waiters:
            if waiter.done():
                continue
            if error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(None)

    async def _async_flush_now(self) -> None:
        """Send a change still waiting for its window now."""
        if self._flush_unsub is not None:
            self._flush_unsub()
            self._flush_unsub = None
            await self._async_flush()

    async def _async_flush_on_stop(self, _event: Event) -> None:
        await self._async_flush_now()

    @override
    async def async_will_remove_from_hass(self) -> None:
        # Unloading (a reload, removing the entry) must not lose a change the user made.
        await self._async_flush_now()
        await super().async_will_remove_from_hass()
