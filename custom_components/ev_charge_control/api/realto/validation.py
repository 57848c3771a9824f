"""Checks of the arguments callers pass to the re.alto client, before anything is sent.

A bad argument raises ``InvalidArgument`` naming it, so a caller's mistake never costs
a request or comes back as the platform's less specific 400.
"""

from __future__ import annotations

from datetime import datetime

from ..errors import InvalidArgument
from .const import CommandType


def check_id(name: str, value: object) -> str:
    """An entity or command id: any non-blank string (the platform's ids are opaque)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(name, "must be a non-empty string")
    return value


def check_aware_datetime(name: str, value: object) -> datetime:
    """A datetime with a time zone: a naive one would be sent as if it were UTC."""
    if not isinstance(value, datetime):
        raise InvalidArgument(name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgument(name, "must be timezone-aware (the platform works in UTC)")
    return value


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(name, f"must be true or false, got {type(value).__name__}")
    return value


def check_command_type(name: str, value: object) -> CommandType:
    """One of the command types EVs accept, given as the enum or its string value."""
    if isinstance(value, str):
        try:
            return CommandType(value)
        except ValueError:
            pass
    allowed = ", ".join(t.value for t in CommandType)
    raise InvalidArgument(name, f"unknown command type {value!r}; expected one of {allowed}")


def check_command_value(name: str, value: object) -> str | None:
    """A command's optional value, which the platform takes as a string."""
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(name, f"must be a string or None, got {type(value).__name__}")
    return value


def check_page_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise InvalidArgument("page_size", f"must be an integer from 1 to 1000, got {value!r}")
    return value


def check_cancel_path(cancel_path: str) -> str:
    """A cancel endpoint template: the documented path is a guess, so it is configurable,
    and a template that cannot name the command would cancel the wrong thing or nothing."""
    try:
        probe = cancel_path.format(entity_id="e", command_id="c")
    except (KeyError, IndexError, ValueError) as err:
        raise InvalidArgument("cancel_path", f"bad template: {err}") from err
    if "{entity_id}" not in cancel_path or "{command_id}" not in cancel_path or not probe.startswith("/"):
        raise InvalidArgument("cancel_path", "must start with / and contain {entity_id} and {command_id}")
    return cancel_path
