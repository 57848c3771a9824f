"""Actions that take a vehicle (device) and settings no single entity can carry.

Registered once in ``async_setup`` so they exist before and after entries load.  Input
is checked here, field by field, so a bad value is refused with a translated
``ServiceValidationError`` naming the field, and nothing reaches the car.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .data import Capability
from .helpers import handle_command_errors, refuse
from .ready_by_entities import TARGET_MAX, TARGET_MIN
from .ready_by_report import planner_attributes
from .vehicle import CommandOutcome, DepartureSettings, Vehicle

ATTR_DEVICE_ID = "device_id"
SERVICE_SET_SCHEDULED_CHARGING = "set_scheduled_charging"
SERVICE_SET_SCHEDULED_DEPARTURE = "set_scheduled_departure"
SERVICE_SCHEDULE_CHARGING = "schedule_charging"
SERVICE_CANCEL_SCHEDULED_CHARGING = "cancel_scheduled_charging"
SERVICE_PLAN_CHARGING = "plan_charging"
MAX_DEPARTURE_AHEAD = timedelta(days=7)
"""A one-off departure further ahead has no prices yet, and a car's schedule holds a
week at most."""

_DEPARTURE_FLAGS = (
    "preconditioning_enabled",
    "preconditioning_weekdays_only",
    "off_peak_charging_enabled",
    "off_peak_charging_weekdays_only",
)

# The schema only refuses unknown keys; values, and missing required ones, are checked
# by the handlers, so the user reads a translated message naming the field.
SCHEDULED_CHARGING_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_DEVICE_ID): object, vol.Optional("enable"): object, vol.Optional("time"): object}
)
SCHEDULE_CHARGING_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_DEVICE_ID): object,
        vol.Optional("start"): object,
        vol.Optional("end"): object,
        vol.Optional("ignore_cooldown"): object,
    }
)
CANCEL_SCHEDULED_CHARGING_SCHEMA = vol.Schema({vol.Optional(ATTR_DEVICE_ID): object})
PLAN_CHARGING_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_DEVICE_ID): object,
        vol.Optional("target_soc"): object,
        vol.Optional("departure_time"): object,
        vol.Optional("departure"): object,
        vol.Optional("price_entity"): object,
    }
)
_DEPARTURE_FIELDS: dict[vol.Marker, object] = {
    vol.Optional(ATTR_DEVICE_ID): object,
    vol.Optional("enable"): object,
    vol.Optional("departure_time"): object,
    vol.Optional("end_off_peak_time"): object,
    vol.Optional("off_peak_start_time"): object,
}
_DEPARTURE_FIELDS.update({vol.Optional(flag): object for flag in _DEPARTURE_FLAGS})
SCHEDULED_DEPARTURE_SCHEMA = vol.Schema(_DEPARTURE_FIELDS)


def _bool(call: ServiceCall, field: str, default: bool | None = None) -> bool:
    value = call.data.get(field, default)
    if value is None:
        raise refuse("missing_field", field=field)
    if not isinstance(value, (bool, str)):
        # A number is not a yes/no answer (Home Assistant would read 2 as true).
        raise refuse("invalid_boolean", field=field, value=str(value))
    try:
        return bool(cv.boolean(value))
    except vol.Invalid as err:
        raise refuse("invalid_boolean", field=field, value=str(value)) from err


def _minutes(call: ServiceCall, field: str) -> int | None:
    """``HH:MM`` (or a time) as minutes after midnight; ``None`` when not given."""
    value = call.data.get(field)
    if value is None:
        return None
    try:
        parsed: time = cv.time(value)
    except vol.Invalid as err:
        raise refuse("invalid_time", field=field, value=str(value)) from err
    return parsed.hour * 60 + parsed.minute


def _moment(call: ServiceCall, field: str) -> datetime:
    """A date and time; without an offset it is Home Assistant's local time."""
    value = call.data.get(field)
    if value is None:
        raise refuse("missing_field", field=field)
    try:
        # The parser raises, rather than answering None, for a month 13, an hour 25 or
        # an offset of a day or more; the conversion does so at the calendar's edge.
        parsed = value if isinstance(value, datetime) else dt_util.parse_datetime(str(value))
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt_util.get_default_time_zone())
        moment = None if parsed is None else dt_util.as_utc(parsed)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise refuse("invalid_datetime", field=field, value=str(value))
    return moment


def _target(call: ServiceCall) -> int | None:
    value = call.data.get("target_soc")
    if value is None:
        return None
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not number.is_integer() or not TARGET_MIN <= number <= TARGET_MAX:
        raise refuse("invalid_target", value=str(value), min=str(TARGET_MIN), max=str(TARGET_MAX))
    return int(number)


def _departure(call: ServiceCall) -> dict[str, Any]:
    """``departure_time`` sets the daily departure; ``departure`` a one-off one."""
    changes: dict[str, Any] = {}
    minutes = _minutes(call, "departure_time")
    if minutes is not None:
        changes.update(departure=time(minutes // 60, minutes % 60), departure_once=None)
    if call.data.get("departure") is not None:
        moment = _moment(call, "departure")
        now = dt_util.utcnow()
        if moment <= now:
            raise refuse("not_in_future", field="departure")
        if moment - now > MAX_DEPARTURE_AHEAD:
            raise refuse("departure_too_far", field="departure", days=str(MAX_DEPARTURE_AHEAD.days))
        changes["departure_once"] = moment
    return changes


def _price_entity(call: ServiceCall) -> dict[str, Any]:
    value = call.data.get("price_entity")
    if value is None:
        return {}
    try:
        entity_id: str = cv.entity_id(value)
    except vol.Invalid as err:
        raise refuse("invalid_entity", field="price_entity", value=str(value)) from err
    return {"price_entity": entity_id}


def _coordinator(hass: HomeAssistant, call: ServiceCall, capability: Capability) -> VehicleCoordinator:
    """The loaded vehicle behind the call's device, if it can do ``capability``."""
    device_id = call.data.get(ATTR_DEVICE_ID)
    if not device_id:
        raise refuse("missing_field", field=ATTR_DEVICE_ID)
    device = dr.async_get(hass).async_get(str(device_id))
    if device is None:
        raise refuse("invalid_device", device_id=str(device_id))
    # Newer Home Assistant gives a device one config entry, ``config_entry_id`` (None
    # for a device of no entry), and (2026.10) reports any read of the deprecated
    # ``config_entries``; 2025.4 has only that set.
    if hasattr(device, "config_entry_id"):
        owner: str | None = device.config_entry_id
        entry_ids = {owner} if owner is not None else set()
    else:
        entry_ids = set(device.config_entries)
    for entry_id in entry_ids:
        entry: EVChargeControlConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise refuse("entry_not_loaded", name=device.name or str(device_id))
        for domain, unique_id in device.identifiers:
            coordinator = entry.runtime_data.coordinators.get(unique_id) if domain == DOMAIN else None
            if coordinator is not None:
                if capability not in coordinator.vehicle.capabilities:
                    raise refuse("not_supported", name=coordinator.vehicle.name)
                return coordinator
    raise refuse("invalid_device", device_id=str(device_id))


async def _run(coordinator: VehicleCoordinator, send: Callable[[Vehicle], Awaitable[CommandOutcome]]) -> None:
    async with handle_command_errors(coordinator):
        await coordinator.async_command(lambda: send(coordinator.vehicle))


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""

    async def set_scheduled_charging(call: ServiceCall) -> None:
        coordinator = _coordinator(hass, call, Capability.SCHEDULED_CHARGING)
        enable = _bool(call, "enable")
        minutes = _minutes(call, "time")
        if minutes is None:
            if enable:
                raise refuse("time_required", field="time")
            # Turning it off keeps the car's time for the next time it is turned on.
            minutes = (coordinator.data.scheduled_charging_minutes if coordinator.data else None) or 0
        chosen = minutes
        await _run(coordinator, lambda vehicle: vehicle.async_set_scheduled_charging(enable, chosen))

    async def set_scheduled_departure(call: ServiceCall) -> None:
        coordinator = _coordinator(hass, call, Capability.SCHEDULED_DEPARTURE)
        enable = _bool(call, "enable", default=True)
        flags: dict[str, Any] = {flag: _bool(call, flag, default=False) for flag in _DEPARTURE_FLAGS}
        departure = _minutes(call, "departure_time")
        end_off_peak = _minutes(call, "end_off_peak_time")
        off_peak_start = _minutes(call, "off_peak_start_time")
        if enable and departure is None:
            raise refuse("time_required", field="departure_time")
        off_peak = flags["off_peak_charging_enabled"] or flags["off_peak_charging_weekdays_only"]
        if enable and off_peak and end_off_peak is None:
            raise refuse("time_required", field="end_off_peak_time")
        settings = DepartureSettings(
            enable=enable,
            departure_time=departure or 0,
            end_off_peak_time=end_off_peak or 0,
            off_peak_start_time=off_peak_start,
            **flags,
        )
        await _run(coordinator, lambda vehicle: vehicle.async_set_scheduled_departure(settings))

    async def schedule_charging(call: ServiceCall) -> None:
        coordinator = _coordinator(hass, call, Capability.CHARGING_WINDOWS)
        start, end = _moment(call, "start"), _moment(call, "end")
        ignore = _bool(call, "ignore_cooldown", default=False)
        if start <= dt_util.utcnow():
            raise refuse("not_in_future", field="start")
        if end <= start:
            raise refuse("end_before_start")
        await _run(
            coordinator,
            lambda vehicle: vehicle.async_schedule_charging(start, end, ignore_cooldown=ignore),
        )

    async def cancel_scheduled_charging(call: ServiceCall) -> None:
        coordinator = _coordinator(hass, call, Capability.CHARGING_WINDOWS)
        await _run(coordinator, lambda vehicle: vehicle.async_cancel_scheduled_charging())

    async def plan_charging(call: ServiceCall) -> ServiceResponse:
        coordinator = _coordinator(hass, call, Capability.CHARGE_PLAN)
        changes: dict[str, Any] = {"enabled": True, **_departure(call), **_price_entity(call)}
        if (target := _target(call)) is not None:
            changes["target"] = target
        planner = coordinator.config_entry.runtime_data.planners[coordinator.vehicle.unique_id]
        await planner.async_update_settings(**changes)
        return planner_attributes(planner) if call.return_response else None

    hass.services.async_register(
        DOMAIN,
        SERVICE_PLAN_CHARGING,
        plan_charging,
        schema=PLAN_CHARGING_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SET_SCHEDULED_CHARGING, set_scheduled_charging, schema=SCHEDULED_CHARGING_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SCHEDULE_CHARGING, schedule_charging, schema=SCHEDULE_CHARGING_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL_SCHEDULED_CHARGING,
        cancel_scheduled_charging,
        schema=CANCEL_SCHEDULED_CHARGING_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SET_SCHEDULED_DEPARTURE, set_scheduled_departure, schema=SCHEDULED_DEPARTURE_SCHEMA
    )
