"""The charging commands the simulated car takes, and how their parameters are checked.

The REST path (``/command/<name>``) reads JSON parameters the way Tesla's Fleet API and
the ``tesla-http-proxy`` do (reference section 2.4; ``proxy/command.go``): a missing
required parameter is ``missing X param``, a value of the wrong type ``invalid X param``.
The signed path gets typed protobuf values, so only the ranges are checked there
(``signed_param_error``), with the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

# name -> {param: (kind, required)}; kinds: "int", "bool", "number" (any finite number),
# "days" (day names, turned into the bitmask).
COMMANDS: dict[str, dict[str, tuple[str, bool]]] = {
    "charge_port_door_open": {},
    "charge_port_door_close": {},
    "charge_start": {},
    "charge_stop": {},
    "charge_standard": {},
    "charge_max_range": {},
    "set_charge_limit": {"percent": ("int", True)},
    "set_charging_amps": {"charging_amps": ("int", True)},
    "set_scheduled_charging": {"enable": ("bool", True), "time": ("int", False)},
    "set_scheduled_departure": {
        "enable": ("bool", True),
        "departure_time": ("int", False),
        "preconditioning_enabled": ("bool", False),
        "preconditioning_weekdays_only": ("bool", False),
        "off_peak_charging_enabled": ("bool", False),
        "off_peak_charging_weekdays_only": ("bool", False),
        "end_off_peak_time": ("int", False),
    },
    # Firmware 2024.26+ (reference section 2.4; required parameters as in proxy/command.go).
    "add_charge_schedule": {
        "days_of_week": ("days", True),
        "enabled": ("bool", True),
        "start_enabled": ("bool", True),
        "end_enabled": ("bool", True),
        "start_time": ("int", False),
        "end_time": ("int", False),
        "lat": ("number", True),
        "lon": ("number", True),
        "one_time": ("bool", False),
        "id": ("int", False),
    },
    "remove_charge_schedule": {"id": ("int", True)},
    "add_precondition_schedule": {
        "days_of_week": ("days", True),
        "enabled": ("bool", True),
        "precondition_time": ("int", True),
        "lat": ("number", True),
        "lon": ("number", True),
        "one_time": ("bool", False),
        "id": ("int", False),
    },
    "remove_precondition_schedule": {"id": ("int", True)},
}
MINUTE_PARAMS = ("time", "departure_time", "end_off_peak_time", "start_time", "end_time", "precondition_time")
ID_MAX = (1 << 64) - 1
# The proxy's day names (upper-cased before lookup): "TUES" and "THURS", not "TUE"/"THU".
DAY_BITS = {
    "SUN": 1, "SUNDAY": 1, "MON": 2, "MONDAY": 2, "TUES": 4, "TUESDAY": 4,
    "WED": 8, "WEDNESDAY": 8, "THURS": 16, "THURSDAY": 16, "FRI": 32, "FRIDAY": 32,
    "SAT": 64, "SATURDAY": 64, "ALL": 127, "WEEKDAYS": 62,
}  # fmt: skip
ALL_DAYS = 127


@dataclass
class Invalid:
    """A parameter problem.  ``param_error`` replies put the reason in ``response``; the
    proxy reports an unknown day name in ``error`` instead."""

    reason: str
    param_error: bool = True


def is_integral(value: Any) -> bool:
    """A JSON number with an integer value (NaN, infinities and booleans are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or (math.isfinite(value) and value.is_integer())


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def parse_days(text: str) -> int | str:
    """``"Mon,Tues"``, ``"All"``, ``"weekdays"``... as a bitmask, or the first name that is
    not a day, as the proxy quotes it (untrimmed)."""
    mask = 0
    for name in text.split(","):
        bits = DAY_BITS.get(name.strip().upper())
        if bits is None:
            return name
        mask |= bits
    return mask


def _check_range(param: str, value: int) -> str | None:
    if param in MINUTE_PARAMS and not 0 <= value < 1440:
        return f"invalid {param} param"
    if param == "id" and not 0 <= value <= ID_MAX:
        return f"invalid {param} param"
    if param == "days_of_week" and not 0 <= value <= ALL_DAYS:
        return f"invalid {param} param"
    return None


def validate(name: str, body: dict[str, Any]) -> dict[str, Any] | Invalid:
    """The parameters of a REST command, typed; ``null`` counts as missing."""
    params: dict[str, Any] = {}
    for param, (kind, required) in COMMANDS[name].items():
        if param not in body or body[param] is None:
            if required:
                return Invalid(f"missing {param} param")
            continue
        value = body[param]
        if kind == "bool":
            if not isinstance(value, bool):
                return Invalid(f"invalid {param} param")
        elif kind == "number":
            if not _is_number(value):
                return Invalid(f"invalid {param} param")
            value = float(value)
        elif kind == "days":
            if not isinstance(value, str):
                return Invalid(f"invalid {param} param")
            mask = parse_days(value)
            if isinstance(mask, str):
                return Invalid(f"unrecognized day name: {mask}", param_error=False)
            value = mask
        elif not is_integral(value):
            return Invalid(f"invalid {param} param")
        else:
            value = int(value)
            problem = _check_range(param, value)
            if problem is not None:
                return Invalid(problem)
        params[param] = value
    return params


def signed_param_error(name: str, params: dict[str, Any]) -> str | None:
    """A range problem in a signed command's (already typed) parameters, as REST words it."""
    for param, value in params.items():
        if isinstance(value, int) and not isinstance(value, bool):
            problem = _check_range(param, value)
            if problem is not None:
                return problem
    if name in ("add_charge_schedule", "add_precondition_schedule"):
        for param in ("lat", "lon"):
            if not math.isfinite(params[param]):
                return f"invalid {param} param"
    return None
