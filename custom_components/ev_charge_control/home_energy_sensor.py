"""The "Energy charged at home" sensor, for the Energy dashboard's individual devices.

One per car whose API reports an energy counter or meter (``Capability.CHARGE_ENERGY``).
The counting itself is ``home_energy``'s; this side feeds it the car's fresh readings
with Home Assistant's home zone, keeps its state across restarts, shows the last session
and fires ``ev_charge_control_charging_session`` when one ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any, Self, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorExtraStoredData,
    SensorStateClass,
)
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .data import Capability, EVData
from .entity import EVEntity
from .home_energy import HOME_LABEL, CounterKind, HomeEnergy, Sample, Session, Zone, at_home, step

EVENT_CHARGING_SESSION = "ev_charge_control_charging_session"
HOME_ZONE = "zone.home"
ATTR_RADIUS = "radius"
"""The home zone's radius in metres (the zone integration's attribute)."""


@dataclass(frozen=True, kw_only=True)
class HomeEnergySensorEntityDescription(SensorEntityDescription):
    """The home-energy sensor, for cars that have ``capability``."""

    capability: Capability = Capability.CHARGE_ENERGY


HOME_ENERGY = HomeEnergySensorEntityDescription(
    key="home_energy",
    translation_key="home_energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=2,
)
HOME_ENERGY_SENSORS = (HOME_ENERGY,)


@callback
def async_setup_home_energy(
    entry: EVChargeControlConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: tuple[HomeEnergySensorEntityDescription, ...],
) -> None:
    """Add the sensor for every car that reports a counter or meter: at set-up, when a
    car joins the account, or when a car shows one later (a re.alto car shows its meter
    with a reading, which a platform that did not answer at set-up has not sent yet)."""
    added: set[str] = set()

    @callback
    def add_if_able(coordinator: VehicleCoordinator) -> bool:
        vehicle = coordinator.vehicle
        able = [d for d in descriptions if d.capability in vehicle.capabilities]
        if not able:
            return False
        if vehicle.unique_id not in added:
            added.add(vehicle.unique_id)
            async_add_entities(HomeEnergySensor(coordinator, description) for description in able)
        return True

    @callback
    def wait_for(coordinator: VehicleCoordinator) -> None:
        removed = False

        @callback
        def check() -> None:
            nonlocal removed
            if not removed and add_if_able(coordinator):
                removed = True
                remove()

        remove = coordinator.async_add_listener(check)

        @callback
        def unload() -> None:
            nonlocal removed
            if not removed:
                removed = True
                remove()

        entry.async_on_unload(unload)

    @callback
    def add(coordinators: list[VehicleCoordinator]) -> None:
        for coordinator in coordinators:
            if not add_if_able(coordinator):
                wait_for(coordinator)

    add(list(entry.runtime_data.coordinators.values()))
    entry.async_on_unload(entry.runtime_data.async_add_listener(add))


@dataclass
class HomeEnergyStoredData(SensorExtraStoredData):
    """The sensor's value, and the accounting behind it (counter, session, place)."""

    accounting: HomeEnergy | None = None

    @override
    def as_dict(self) -> dict[str, Any]:
        accounting = self.accounting.as_dict() if self.accounting else None
        return {**super().as_dict(), "home_energy": accounting}

    @classmethod
    @override
    def from_dict(cls, restored: dict[str, Any]) -> Self | None:
        accounting = HomeEnergy.from_dict(restored.get("home_energy"))
        value = restored.get("native_value")
        if accounting is None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            # The value without its accounting: go on from it, counting from the next
            # counter value (the total must not drop, nor the past be counted again).
            accounting = HomeEnergy(total_kwh=float(value))
        return cls(accounting.total_kwh, restored.get("native_unit_of_measurement"), accounting)


def home_zone(hass: HomeAssistant) -> tuple[Zone, set[str]]:
    """Home as Home Assistant knows it: the home zone (moved or resized by the user),
    else the location and radius in the general settings; and what home is called."""
    names = {HOME_LABEL, hass.config.location_name}
    state = hass.states.get(HOME_ZONE)
    if state is not None:
        values = [_finite(state.attributes.get(key)) for key in (ATTR_LATITUDE, ATTR_LONGITUDE, ATTR_RADIUS)]
        latitude, longitude, radius = values
        if latitude is not None and longitude is not None and radius is not None:
            names.add(state.name)
            return Zone(latitude, longitude, radius), names
    return Zone(hass.config.latitude, hass.config.longitude, float(hass.config.radius)), names


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _local(moment: datetime | None) -> str | None:
    return dt_util.as_local(moment).isoformat() if moment is not None else None


def session_record(session: Session) -> dict[str, Any]:
    """A session as the attribute and the event show it: local times with their offset."""
    return {
        "start": _local(session.start),
        "end": _local(session.end),
        "energy_kwh": round(session.energy_kwh, 3),
        "home": session.home,
    }


class HomeEnergySensor(EVEntity, RestoreSensor):
    """The energy a car charged at home, in kWh; only ever goes up."""

    _accounting: HomeEnergy | None = None

    @override
    async def async_added_to_hass(self) -> None:
        # Before the coordinator's updates reach it: a reading counted against an empty
        # state would be counted again against the restored one.  Added again (a renamed
        # entity id), it keeps what it holds.
        if self._accounting is None:
            restored = await self.async_get_last_extra_data()
            stored = HomeEnergyStoredData.from_dict(restored.as_dict()) if restored else None
            self._accounting = stored.accounting if stored else HomeEnergy()
        await super().async_added_to_hass()
        self._take(self.coordinator.data)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        self._take(self.coordinator.data)
        super()._handle_coordinator_update()

    def _take(self, data: EVData | None) -> None:
        """Count one reading of the car, if it is a fresh one."""
        if data is None or data.updated_at is None or self._accounting is None:
            return
        meter = data.energy_meter_kwh is not None
        kind = CounterKind.METER if meter else CounterKind.SESSION
        counter = data.energy_meter_kwh if meter else data.energy_added_kwh
        zone, names = home_zone(self.hass)
        home = at_home(data.latitude, data.longitude, data.location_labels, zone, names)
        sample = Sample(data.updated_at, counter, data.charging_measured, data.plugged_in, home)
        self._accounting, ended = step(self._accounting, sample, kind)
        for session in ended:
            self.hass.bus.async_fire(
                EVENT_CHARGING_SESSION,
                {
                    "device_id": self.device_entry.id if self.device_entry else None,
                    "vehicle": self.coordinator.vehicle.name,
                    **session_record(session),
                },
            )

    @property
    @override
    def native_value(self) -> float | None:
        return round(self._accounting.total_kwh, 3) if self._accounting else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        last = self._accounting.last_session if self._accounting else None
        return {"last_session": session_record(last) if last else None}

    @property
    @override
    def extra_restore_state_data(self) -> HomeEnergyStoredData:
        return HomeEnergyStoredData(self.native_value, self.native_unit_of_measurement, self._accounting)
