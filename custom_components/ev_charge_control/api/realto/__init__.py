"""The re.alto energy platform's EV endpoints (entities, readings, commands)."""

from .client import PRICES_USD, RealtoClient
from .const import BASE_URL, CANCEL_PATH, COOLDOWN_SECONDS, CommandStatus, CommandType
from .cooldown import CooldownFailedCommands, cooldown_until
from .errors import raise_for_status
from .models import (
    Command,
    CommandBatch,
    CommandError,
    Entity,
    Location,
    Quantity,
    Reading,
    ScheduledCommand,
    format_datetime,
    parse_datetime,
)

__all__ = [
    "BASE_URL",
    "CANCEL_PATH",
    "COOLDOWN_SECONDS",
    "PRICES_USD",
    "Command",
    "CommandBatch",
    "CommandError",
    "CommandStatus",
    "CommandType",
    "CooldownFailedCommands",
    "Entity",
    "Location",
    "Quantity",
    "Reading",
    "RealtoClient",
    "ScheduledCommand",
    "cooldown_until",
    "format_datetime",
    "parse_datetime",
    "raise_for_status",
]
