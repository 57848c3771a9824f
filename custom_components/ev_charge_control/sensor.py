"""Sensors for a charging dashboard, and the API's cost counters (diagnostic)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfPower,
    UnitOfSpeed,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.util import dt as dt_util

from .api_usage import ApiUsageStoredData, MonthlyUsage, monthly_usage
from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .data import Capability, ChargingStatus, EVData
from .entity import EVEntity, async_setup_vehicle_entities
from .home_energy_sensor import HOME_ENERGY_SENSORS, async_setup_home_energy
from .ready_by_entities import READY_BY_SENSORS, ChargingPlanSensor
from .vehicle import Vehicle

# Read-only: values come from the coordinator.
PARALLEL_UPDATES = 0

type SensorValue = str | int | float | datetime | None


@dataclass(frozen=True, kw_only=True)
class EVSensorEntityDescription(SensorEntityDescription):
    """A sensor reading the vehicle's data (or, for costs, the vehicle itself)."""

    capability: Capability | None = None
    """Created only when the vehicle has it; ``None`` for every vehicle, so only for
    values every provider fills (an entity a provider never fills is unknown forever)."""
    value_fn: Callable[[EVData, Vehicle], SensorValue]
    attributes_fn: Callable[[EVData], dict[str, Any] | None] = lambda _data: None


def _cost(vehicle: Vehicle, field: str) -> float | int | None:
    costs = vehicle.costs
    return None if costs is None else costs.as_dict()[field]


@dataclass(frozen=True, kw_only=True)
class EVApiUsageSensorEntityDescription(EVSensorEntityDescription):
    """An API usage sensor: ``value_fn`` reads this run's counter, and the sensor shows
    this month's usage, kept across restarts (``EVApiUsageSensor``)."""


def _requests_sensor(category: str) -> EVSensorEntityDescription:
    return EVApiUsageSensorEntityDescription(
        key=f"api_{category}_requests",
        translation_key=f"api_{category}_requests",
        # TOTAL with last_reset (the month's start), not TOTAL_INCREASING: the reset is
        # known, so it is stated rather than guessed from a drop, and the attribute says
        # since when the month counts; as for the cost, whose MONETARY allows only TOTAL.
        state_class=SensorStateClass.TOTAL,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        capability=Capability.API_COSTS,
        value_fn=lambda _data, vehicle: _cost(vehicle, category),
    )


LAST_COMMAND_STATES = ["pending", "triggered", "sent", "succeeded", "failed", "canceled", "timed_out"]


def _last_command_state(data: EVData) -> str | None:
    """The last command's status; one outside the options reads as unknown.

    An enum sensor raises for any other value, and it is written while the command's
    action runs: the user would see an error for a command the platform accepted.
    """
    command = data.last_command
    if command is None or command.status not in LAST_COMMAND_STATES:
        return None
    return command.status


def _last_command_attributes(data: EVData) -> dict[str, Any] | None:
    command = data.last_command
    if command is None:
        return None
    return {
        "command": command.command,
        "trigger_time": command.trigger_time.isoformat() if command.trigger_time else None,
        "error_title": command.error_title,
        "error_description": command.error_description,
        "platform_status": command.platform_status,
    }


SENSORS: tuple[EVSensorEntityDescription, ...] = (
    EVSensorEntityDescription(
        key="battery_level",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data, _v: data.battery_level,
    ),
    EVSensorEntityDescription(
        key="range",
        translation_key="range",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda data, _v: data.range_km,
    ),
    EVSensorEntityDescription(
        key="charging_state",
        translation_key="charging_state",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ChargingStatus],
        capability=Capability.CHARGER_DETAILS,
        value_fn=lambda data, _v: data.charging_status.value if data.charging_status else None,
    ),
    EVSensorEntityDescription(
        key="charger_power",
        translation_key="charger_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        capability=Capability.CHARGER_DETAILS,
        value_fn=lambda data, _v: data.charger_power_kw,
    ),
    # Same payload as the power, so free; enabled, and not diagnostic as in tesla_fleet:
    # they are what a solar-surplus automation sets the charging current by.
    EVSensorEntityDescription(
        key="charger_current",
        translation_key="charger_current",
        device_class=SensorDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        capability=Capability.CHARGER_DETAILS,
        value_fn=lambda data, _v: data.charger_current_a,
    ),
    EVSensorEntityDescription(
        key="charger_voltage",
        translation_key="charger_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        capability=Capability.CHARGER_DETAILS,
        value_fn=lambda data, _v: data.charger_voltage_v,
    ),
    EVSensorEntityDescription(
        key="charge_rate",
        translation_key="charge_rate",
        device_class=SensorDeviceClass.SPEED,
        native_unit_of_measurement=UnitOfSpeed.KILOMETERS_PER_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        capability=Capability.CHARGER_DETAILS,
        value_fn=lambda data, _v: data.charge_rate_km_h,
    ),
    EVSensorEntityDescription(
        key="energy_added",
        translation_key="energy_added",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        capability=Capability.CHARGER_DETAILS,
        value_fn=lambda data, _v: data.energy_added_kwh,
    ),
    EVSensorEntityDescription(
        key="time_to_full",
        translation_key="time_to_full",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        capability=Capability.CHARGER_DETAILS,
        value_fn=lambda data, _v: data.minutes_to_full,
    ),
    EVSensorEntityDescription(
        key="charge_limit_sensor",
        translation_key="charge_limit",
        native_unit_of_measurement=PERCENTAGE,
        capability=Capability.CHARGE_LIMIT,
        entity_registry_enabled_default=False,
        value_fn=lambda data, _v: data.charge_limit,
    ),
    EVSensorEntityDescription(
        key="scheduled_charging_start",
        translation_key="scheduled_charging_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        capability=Capability.SCHEDULED_CHARGING,
        value_fn=lambda data, _v: data.scheduled_charging_start,
    ),
    EVSensorEntityDescription(
        key="odometer",
        translation_key="odometer",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
        capability=Capability.ODOMETER,
        value_fn=lambda data, _v: data.odometer_km,
    ),
    EVSensorEntityDescription(
        key="last_command",
        translation_key="last_command",
        device_class=SensorDeviceClass.ENUM,
        options=LAST_COMMAND_STATES,
        capability=Capability.COMMAND_STATUS,
        value_fn=lambda data, _v: _last_command_state(data),
        attributes_fn=_last_command_attributes,
    ),
    EVSensorEntityDescription(
        key="cooldown_end",
        translation_key="cooldown_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        capability=Capability.COMMAND_COOLDOWN,
        value_fn=lambda data, _v: data.cooldown_until,
    ),
    EVSensorEntityDescription(
        key="data_updated",
        translation_key="data_updated",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data, _v: data.updated_at,
    ),
    # At Tesla's list prices in USD, before the monthly credit: not the bill.
    EVApiUsageSensorEntityDescription(
        key="api_cost",
        translation_key="api_cost",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="USD",
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=3,
        entity_category=EntityCategory.DIAGNOSTIC,
        capability=Capability.API_COSTS,
        value_fn=lambda _data, vehicle: _cost(vehicle, "cost_usd"),
    ),
    _requests_sensor("data"),
    _requests_sensor("command"),
    _requests_sensor("wake"),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_setup_vehicle_entities(entry, async_add_entities, _sensor_entity, SENSORS)
    async_setup_vehicle_entities(entry, async_add_entities, ChargingPlanSensor, READY_BY_SENSORS)
    async_setup_home_energy(entry, async_add_entities, HOME_ENERGY_SENSORS)


def _sensor_entity(coordinator: VehicleCoordinator, description: EVSensorEntityDescription) -> EVSensor:
    if isinstance(description, EVApiUsageSensorEntityDescription):
        return EVApiUsageSensor(coordinator, description)
    return EVSensor(coordinator, description)


class EVSensor(EVEntity, SensorEntity):
    """A vehicle sensor."""

    entity_description: EVSensorEntityDescription

    @property
    @override
    def native_value(self) -> SensorValue:
        return self.entity_description.value_fn(self.data, self.coordinator.vehicle)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return self.entity_description.attributes_fn(self.data)


class EVApiUsageSensor(EVSensor, RestoreSensor):
    """This month's API usage: restored at start, counted on, reset when the month turns."""

    _usage: MonthlyUsage | None = None

    @override
    async def async_added_to_hass(self) -> None:
        # Before the coordinator's updates reach it, so no state is written without it.
        counter = self.coordinator.vehicle.costs
        if counter is not None and (self._usage is None or not self._usage.follows(counter)):
            restored = await self.async_get_last_extra_data()
            self._usage = monthly_usage(counter, None if restored is None else restored.as_dict())
        await super().async_added_to_hass()
        # Shown as 0 from the month's first second, not from the next poll.
        self.async_on_remove(
            async_track_utc_time_change(self.hass, self._async_midnight, hour=0, minute=0, second=0)
        )

    @callback
    def _async_midnight(self, now: datetime) -> None:
        if now.day == 1:
            self.async_write_ha_state()

    @property
    @override
    def native_value(self) -> float | None:
        return self._this_month()

    @property
    @override
    def last_reset(self) -> datetime | None:
        if self._usage is None:
            return None
        self._this_month()  # turns the month if it has, whichever of the two is read first
        return self._usage.period_start

    def _this_month(self) -> float | None:
        raw = self.entity_description.value_fn(self.data, self.coordinator.vehicle)
        if self._usage is None or not isinstance(raw, int | float):
            return None
        return self._usage.value(raw, dt_util.utcnow())

    @property
    @override
    def extra_restore_state_data(self) -> ApiUsageStoredData:
        return ApiUsageStoredData(self.native_value, self.native_unit_of_measurement, self.last_reset)
