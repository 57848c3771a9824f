"""Our command names and parameters as the protobuf payloads a car executes.

Every charging command goes to the infotainment domain as a ``CarServer.Action``, the
way Tesla's Go SDK (and so ``tesla-http-proxy``) sends them, the charge port included.
Parameters arrive validated by the client; this module only translates them.  Field
numbers are from ``car_server.proto`` and ``common.proto``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .messages import Domain
from .wire import MessageWriter

# VehicleAction fields
_SET_LIMIT: Final = 5
_START_STOP: Final = 6
_SCHEDULED_CHARGING: Final = 41
_SCHEDULED_DEPARTURE: Final = 42
_SET_AMPS: Final = 43
_PORT_CLOSE: Final = 61
_PORT_OPEN: Final = 62
_ADD_CHARGE_SCHEDULE: Final = 97
_REMOVE_CHARGE_SCHEDULE: Final = 98
_ADD_PRECONDITION_SCHEDULE: Final = 99
_REMOVE_PRECONDITION_SCHEDULE: Final = 100

# ChargingStartStopAction's oneof members (each an empty Void)
_START: Final = 2
_START_STANDARD: Final = 3
_START_MAX_RANGE: Final = 4
_STOP: Final = 5

# PreconditioningTimes / OffPeakChargingTimes members
_ALL_WEEK: Final = 1
_WEEKDAYS: Final = 2

_VOID: Final = b""


def _vehicle_action(field_number: int, body: MessageWriter | bytes) -> bytes:
    """``Action{vehicleAction: VehicleAction{<field>: body}}``."""
    action = MessageWriter().message(field_number, body)
    return MessageWriter().message(2, action).encode()


def _start_stop(member: int) -> Callable[[Mapping[str, Any]], bytes]:
    return lambda _params: _vehicle_action(_START_STOP, MessageWriter().message(member, _VOID))


def _set_charge_limit(params: Mapping[str, Any]) -> bytes:
    return _vehicle_action(_SET_LIMIT, MessageWriter().int32(1, params["percent"]))


def _set_charging_amps(params: Mapping[str, Any]) -> bytes:
    return _vehicle_action(_SET_AMPS, MessageWriter().int32(1, params["charging_amps"]))


def _set_scheduled_charging(params: Mapping[str, Any]) -> bytes:
    body = MessageWriter().boolean(1, params["enable"]).int32(2, params.get("time", 0))
    return _vehicle_action(_SCHEDULED_CHARGING, body)


def _policy(enabled: bool, weekdays_only: bool) -> MessageWriter | None:
    """The proxy's rule: weekdays-only wins, else enabled means all week, else off (omitted)."""
    if weekdays_only:
        return MessageWriter().message(_WEEKDAYS, _VOID)
    if enabled:
        return MessageWriter().message(_ALL_WEEK, _VOID)
    return None


def _set_scheduled_departure(params: Mapping[str, Any]) -> bytes:
    if not params["enable"]:
        # Turning the departure off says only that; the car ignores the other fields.
        return _vehicle_action(_SCHEDULED_DEPARTURE, MessageWriter().boolean(1, False))
    body = MessageWriter().boolean(1, True).int32(2, params.get("departure_time", 0))
    preconditioning = _policy(
        params.get("preconditioning_enabled", False), params.get("preconditioning_weekdays_only", False)
    )
    if preconditioning is not None:
        body.message(3, preconditioning)
    off_peak = _policy(
        params.get("off_peak_charging_enabled", False), params.get("off_peak_charging_weekdays_only", False)
    )
    if off_peak is not None:
        body.message(4, off_peak)
    body.int32(5, params.get("end_off_peak_time", 0))
    return _vehicle_action(_SCHEDULED_DEPARTURE, body)


def _charge_schedule(params: Mapping[str, Any]) -> bytes:
    body = (
        MessageWriter()
        .uint64(1, params["id"])
        .string(2, params.get("name", ""))
        .int32(3, params["days_of_week"])
        .boolean(4, params["start_enabled"])
        .int32(5, params.get("start_time", 0))
        .boolean(6, params["end_enabled"])
        .int32(7, params.get("end_time", 0))
        .boolean(8, params.get("one_time", False))
        .boolean(9, params["enabled"])
        .float32(10, params["latitude"])
        .float32(11, params["longitude"])
    )
    return _vehicle_action(_ADD_CHARGE_SCHEDULE, body)


def _precondition_schedule(params: Mapping[str, Any]) -> bytes:
    body = (
        MessageWriter()
        .uint64(1, params["id"])
        .string(2, params.get("name", ""))
        .int32(3, params["days_of_week"])
        .int32(4, params["precondition_time"])
        .boolean(5, params.get("one_time", False))
        .boolean(6, params["enabled"])
        .float32(7, params["latitude"])
        .float32(8, params["longitude"])
    )
    return _vehicle_action(_ADD_PRECONDITION_SCHEDULE, body)


def _remove(field_number: int) -> Callable[[Mapping[str, Any]], bytes]:
    return lambda params: _vehicle_action(field_number, MessageWriter().uint64(1, params["id"]))


_BUILDERS: Final[dict[str, Callable[[Mapping[str, Any]], bytes]]] = {
    "charge_start": _start_stop(_START),
    "charge_stop": _start_stop(_STOP),
    "charge_standard": _start_stop(_START_STANDARD),
    "charge_max_range": _start_stop(_START_MAX_RANGE),
    "set_charge_limit": _set_charge_limit,
    "set_charging_amps": _set_charging_amps,
    "charge_port_door_open": lambda _params: _vehicle_action(_PORT_OPEN, _VOID),
    "charge_port_door_close": lambda _params: _vehicle_action(_PORT_CLOSE, _VOID),
    "set_scheduled_charging": _set_scheduled_charging,
    "set_scheduled_departure": _set_scheduled_departure,
    "add_charge_schedule": _charge_schedule,
    "remove_charge_schedule": _remove(_REMOVE_CHARGE_SCHEDULE),
    "add_precondition_schedule": _precondition_schedule,
    "remove_precondition_schedule": _remove(_REMOVE_PRECONDITION_SCHEDULE),
}


def command_payload(name: str, params: Mapping[str, Any]) -> tuple[Domain, bytes]:
    """The domain and payload bytes for a command; ``KeyError`` for a name we cannot sign."""
    return Domain.INFOTAINMENT, _BUILDERS[name](params)
