"""Application payloads: the commands inside a signed message, and the car's answers.

A verified payload becomes the REST command name and parameters the simulated car
already knows (``SimVehicle.command``), so the signed and the REST paths share the
physics and the refusal reasons.  Field numbers are from Tesla's ``car_server.proto``,
``common.proto``, ``vcsec.proto`` and ``errors.proto`` (vehicle-command).

* INFOTAINMENT payloads are ``CarServer.Action{vehicleAction(2){...}}``; replies are
  ``CarServer.Response{actionStatus(1){result(1), result_reason(2){plain_text(1)}}}``.
* VCSEC payloads are ``VCSEC.UnsignedMessage``; only the charge port
  (``closureMoveRequest(4){chargePort(7)}``) is simulated.  Replies are
  ``FromVCSECMessage``: empty for success, ``nominalError(46){genericError(1)}`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .wire import Fields, decode, field_bytes, field_varint

# CarServer.OperationStatus_E
RESULT_OK = 0
RESULT_ERROR = 1
# VCSEC.ClosureMoveType_E
CLOSURE_OPEN = 3
CLOSURE_CLOSE = 4
# Errors.GenericError_E
GENERIC_ERROR_UNKNOWN = 1


class UnknownCommand(Exception):
    """An authentic message carrying something the simulated car does not do."""


@dataclass
class Command:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


def _policy(fields: Fields | None) -> tuple[bool, bool]:
    """A PreconditioningTimes/OffPeakChargingTimes oneof: (enabled, weekdays only)."""
    if fields is None:
        return False, False
    if fields.has(2):
        return True, True
    return fields.has(1), False


def _start_stop(action: Fields) -> Command:
    names = {2: "charge_start", 3: "charge_standard", 4: "charge_max_range", 5: "charge_stop"}
    for number in reversed(action.numbers()):  # a oneof: the last member on the wire wins
        if number in names:
            return Command(names[number])
    raise UnknownCommand("chargingStartStopAction without start or stop")


def _departure(action: Fields) -> Command:
    if not action.boolean(1):
        return Command("set_scheduled_departure", {"enable": False})
    precondition, precondition_weekdays = _policy(action.message(3))
    off_peak, off_peak_weekdays = _policy(action.message(4))
    return Command(
        "set_scheduled_departure",
        {
            "enable": True,
            "departure_time": action.int32(2),
            "preconditioning_enabled": precondition,
            "preconditioning_weekdays_only": precondition_weekdays,
            "off_peak_charging_enabled": off_peak,
            "off_peak_charging_weekdays_only": off_peak_weekdays,
            "end_off_peak_time": action.int32(5),
        },
    )


def _charge_schedule(schedule: Fields) -> Command:
    return Command(
        "add_charge_schedule",
        {
            "id": schedule.uint(1),
            "name": schedule.text(2),
            "days_of_week": schedule.int32(3),
            "start_enabled": schedule.boolean(4),
            "start_time": schedule.int32(5),
            "end_enabled": schedule.boolean(6),
            "end_time": schedule.int32(7),
            "one_time": schedule.boolean(8),
            "enabled": schedule.boolean(9),
            "lat": schedule.float32(10),
            "lon": schedule.float32(11),
        },
    )


def _precondition_schedule(schedule: Fields) -> Command:
    return Command(
        "add_precondition_schedule",
        {
            "id": schedule.uint(1),
            "name": schedule.text(2),
            "days_of_week": schedule.int32(3),
            "precondition_time": schedule.int32(4),
            "one_time": schedule.boolean(5),
            "enabled": schedule.boolean(6),
            "lat": schedule.float32(7),
            "lon": schedule.float32(8),
        },
    )


def _vehicle_action(number: int, action: Fields) -> Command:
    if number == 5:
        return Command("set_charge_limit", {"percent": action.int32(1)})
    if number == 6:
        return _start_stop(action)
    if number == 41:
        return Command("set_scheduled_charging", {"enable": action.boolean(1), "time": action.int32(2)})
    if number == 42:
        return _departure(action)
    if number == 43:
        return Command("set_charging_amps", {"charging_amps": action.int32(1)})
    if number == 61:
        return Command("charge_port_door_close")
    if number == 62:
        return Command("charge_port_door_open")
    if number == 97:
        return _charge_schedule(action)
    if number == 98:
        return Command("remove_charge_schedule", {"id": action.uint(1)})
    if number == 99:
        return _precondition_schedule(action)
    return Command("remove_precondition_schedule", {"id": action.uint(1)})  # 100


VEHICLE_ACTIONS = (5, 6, 41, 42, 43, 61, 62, 97, 98, 99, 100)


def infotainment_command(payload: bytes) -> Command:
    """The command in a ``CarServer.Action``.

    Raises ``WireError`` for bytes that do not decode and ``UnknownCommand`` for an
    action the simulator does not implement (climate, locks...).
    """
    vehicle_action = decode(payload).message(2)
    if vehicle_action is None:
        raise UnknownCommand("Action without vehicleAction")
    for number in reversed(vehicle_action.numbers()):
        if number in VEHICLE_ACTIONS:
            action = vehicle_action.message(number)
            assert action is not None
            return _vehicle_action(number, action)
    raise UnknownCommand(f"vehicleAction fields {vehicle_action.numbers()}")


def vcsec_command(payload: bytes) -> Command:
    """The charge port move in a ``VCSEC.UnsignedMessage``; anything else is unknown."""
    closure = decode(payload).message(4)
    if closure is None:
        raise UnknownCommand("UnsignedMessage without closureMoveRequest")
    others = [n for n in closure.numbers() if n != 7]
    move = closure.uint(7)
    if others or move not in (CLOSURE_OPEN, CLOSURE_CLOSE):
        raise UnknownCommand("only the charge port opens or closes here")
    return Command("charge_port_door_open" if move == CLOSURE_OPEN else "charge_port_door_close")


def action_status(result: bool, reason: str) -> bytes:
    """``CarServer.Response`` with its actionStatus; a refusal carries the plain-text reason."""
    if result:
        status = b""  # result OK is the default value: an empty, present actionStatus
    else:
        status = field_varint(1, RESULT_ERROR) + field_bytes(2, field_bytes(1, reason.encode()))
    return field_bytes(1, status)


def vcsec_status(result: bool) -> bytes:
    """``FromVCSECMessage``: empty means success; a refusal is a generic nominal error."""
    if result:
        return b""
    return field_bytes(46, field_varint(1, GENERIC_ERROR_UNKNOWN))
