"""Charge and precondition schedules as command parameters: checked, then written out.

The client validates a schedule once, into the parameters both paths share (protobuf
field names, the day bitmask); the REST path then renames them the way the Fleet API's
``add_charge_schedule`` reads them (``lat``/``lon``, day names), and the signed path
encodes them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any, Final

from ..errors import InvalidArgument
from .const import MINUTES_PER_DAY
from .models import ALL_DAYS, DAY_BITS, WEEKDAYS, ChargeSchedule, PreconditionSchedule

ID_MAX: Final = (1 << 64) - 1
# Names the Go proxy accepts (it knows "TUES" and "TUESDAY" but not "TUE").
_DAY_NAMES: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_NAME_MAX: Final = 255


def _int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(name, f"must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidArgument(name, f"must be between {low} and {high}, got {value}")
    return value


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(name, f"must be true or false, got {type(value).__name__}")
    return value


def _coordinate(name: str, value: object, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(name, f"must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise InvalidArgument(name, f"must be between -{limit:g} and {limit:g}, got {value}")
    return number


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgument("name", f"must be a string, got {type(value).__name__}")
    if len(value.encode()) > _NAME_MAX:
        raise InvalidArgument("name", f"must be at most {_NAME_MAX} bytes")
    return value


def check_schedule_id(value: object) -> int:
    return _int("schedule_id", value, 0, ID_MAX)


def _minutes(name: str, value: object) -> int:
    return _int(name, value, 0, MINUTES_PER_DAY - 1)


def _days(value: object) -> int:
    return _int("days_of_week", value, 1, ALL_DAYS)


def charge_schedule_params(schedule: ChargeSchedule) -> dict[str, Any]:
    """Every field checked; ``InvalidArgument`` names the first that is not valid."""
    if not isinstance(schedule, ChargeSchedule):
        raise InvalidArgument("schedule", f"must be a ChargeSchedule, got {type(schedule).__name__}")
    return {
        "id": check_schedule_id(schedule.id),
        "name": _name(schedule.name),
        "days_of_week": _days(schedule.days_of_week),
        "start_enabled": _bool("start_enabled", schedule.start_enabled),
        "start_time": _minutes("start_time", schedule.start_time),
        "end_enabled": _bool("end_enabled", schedule.end_enabled),
        "end_time": _minutes("end_time", schedule.end_time),
        "one_time": _bool("one_time", schedule.one_time),
        "enabled": _bool("enabled", schedule.enabled),
        "latitude": _coordinate("latitude", schedule.latitude, 90.0),
        "longitude": _coordinate("longitude", schedule.longitude, 180.0),
    }


def precondition_schedule_params(schedule: PreconditionSchedule) -> dict[str, Any]:
    if not isinstance(schedule, PreconditionSchedule):
        raise InvalidArgument("schedule", f"must be a PreconditionSchedule, got {type(schedule).__name__}")
    return {
        "id": check_schedule_id(schedule.id),
        "name": _name(schedule.name),
        "days_of_week": _days(schedule.days_of_week),
        "precondition_time": _minutes("precondition_time", schedule.precondition_time),
        "one_time": _bool("one_time", schedule.one_time),
        "enabled": _bool("enabled", schedule.enabled),
        "latitude": _coordinate("latitude", schedule.latitude, 90.0),
        "longitude": _coordinate("longitude", schedule.longitude, 180.0),
    }


def days_text(mask: int) -> str:
    """The REST form of a day bitmask: "All", "Weekdays", or day names joined by commas."""
    if mask == ALL_DAYS:
        return "All"
    if mask == WEEKDAYS:
        return "Weekdays"
    return ",".join(name for name, bit in zip(_DAY_NAMES, DAY_BITS.values(), strict=True) if mask & bit)


def rest_body(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of ``POST .../command/<name>`` for checked parameters.

    The REST schedule commands take no name (the proxy and the docs list none), so it
    is only sent signed.
    """
    if name == "add_charge_schedule":
        return {
            "id": params["id"],
            "days_of_week": days_text(params["days_of_week"]),
            "enabled": params["enabled"],
            "start_enabled": params["start_enabled"],
            "start_time": params["start_time"],
            "end_enabled": params["end_enabled"],
            "end_time": params["end_time"],
            "one_time": params["one_time"],
            "lat": params["latitude"],
            "lon": params["longitude"],
        }
    if name == "add_precondition_schedule":
        return {
            "id": params["id"],
            "days_of_week": days_text(params["days_of_week"]),
            "enabled": params["enabled"],
            "precondition_time": params["precondition_time"],
            "one_time": params["one_time"],
            "lat": params["latitude"],
            "lon": params["longitude"],
        }
    return dict(params)
