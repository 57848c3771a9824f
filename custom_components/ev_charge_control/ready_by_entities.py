"""The ready-by planner's entities: on/off, target, departure time, and the plan.

Their platforms (switch, number, time, sensor) add them from the tables here, for cars
that can hold a plan.  They show the planner's settings and plan, not the car's data;
like the car's other entities they stay available while it sleeps, and are unavailable
while its API cannot be read (a plan could not be written then either).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any, override

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.const import PERCENTAGE, EntityCategory

from .coordinator import VehicleCoordinator
from .data import Capability
from .entity import EVEntity
from .helpers import refuse
from .planner import PlanStatus
from .ready_by import ReadyByPlanner
from .ready_by_report import planner_attributes

PLAN_OFF = "off"
PLAN_WAITING = "waiting"
"""Planning is on, but the car's charge level is not known yet (asleep since start-up)."""
TARGET_MIN, TARGET_MAX = 10, 100


@dataclass(frozen=True, kw_only=True)
class ReadyBySwitchEntityDescription(SwitchEntityDescription):
    capability: Capability = Capability.CHARGE_PLAN


@dataclass(frozen=True, kw_only=True)
class ReadyByNumberEntityDescription(NumberEntityDescription):
    capability: Capability = Capability.CHARGE_PLAN


@dataclass(frozen=True, kw_only=True)
class ReadyByTimeEntityDescription(TimeEntityDescription):
    capability: Capability = Capability.CHARGE_PLAN


@dataclass(frozen=True, kw_only=True)
class ReadyBySensorEntityDescription(SensorEntityDescription):
    capability: Capability = Capability.CHARGE_PLAN


READY_BY_SWITCHES = (ReadyBySwitchEntityDescription(key="ready_by", translation_key="ready_by"),)
READY_BY_NUMBERS = (
    ReadyByNumberEntityDescription(
        key="ready_by_target",
        translation_key="ready_by_target",
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=TARGET_MIN,
        native_max_value=TARGET_MAX,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    ),
)
READY_BY_TIMES = (
    ReadyByTimeEntityDescription(
        key="departure_time", translation_key="departure_time", entity_category=EntityCategory.CONFIG
    ),
)
READY_BY_SENSORS = (
    ReadyBySensorEntityDescription(
        key="charging_plan",
        translation_key="charging_plan",
        device_class=SensorDeviceClass.ENUM,
        options=[PLAN_OFF, PLAN_WAITING, *(status.value for status in PlanStatus)],
    ),
)


class ReadyByEntity(EVEntity):
    """An entity of a car's ready-by planner."""

    def __init__(self, coordinator: VehicleCoordinator, description: Any) -> None:
        super().__init__(coordinator, description)
        self.planner: ReadyByPlanner = coordinator.config_entry.runtime_data.planners[
            coordinator.vehicle.unique_id
        ]

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.planner.async_add_listener(self.async_write_ha_state))


class ReadyBySwitch(ReadyByEntity, SwitchEntity):
    """Plan this car's charging to be ready by its departure."""

    @property
    @override
    def is_on(self) -> bool:
        return self.planner.settings.enabled

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.planner.async_update_settings(enabled=True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.planner.async_update_settings(enabled=False)


class ReadyByTargetNumber(ReadyByEntity, NumberEntity):
    """The charge level to reach by departure."""

    @property
    @override
    def native_value(self) -> float:
        return self.planner.settings.target

    @override
    async def async_set_native_value(self, value: float) -> None:
        if not float(value).is_integer() or not TARGET_MIN <= value <= TARGET_MAX:
            raise refuse("invalid_target", value=str(value), min=str(TARGET_MIN), max=str(TARGET_MAX))
        # A dragged value is shown at once; the car is written once it settles.
        await self.planner.async_update_settings(write_later=True, target=int(value))


class DepartureTime(ReadyByEntity, TimeEntity):
    """When the car should be ready, every day."""

    @property
    @override
    def native_value(self) -> time:
        return self.planner.settings.departure

    @override
    async def async_set_value(self, value: time) -> None:
        await self.planner.async_update_settings(
            write_later=True, departure=value.replace(second=0, microsecond=0), departure_once=None
        )


class ChargingPlanSensor(ReadyByEntity, SensorEntity):
    """The plan: its state, and its windows, cost and explanation as attributes."""

    @property
    @override
    def native_value(self) -> str:
        planner = self.planner
        if planner.plan is not None:
            return planner.plan.status.value
        return PLAN_WAITING if planner.settings.enabled else PLAN_OFF

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        return planner_attributes(self.planner)
