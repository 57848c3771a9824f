"""The platform's 10-minute cooldown between commands to one vehicle: recognising it
and working out when the next command is allowed.

How the platform reports a command sent inside the cooldown is undocumented, so both
an error answer (409/429, a 400 that mentions the cooldown) and a command the platform
accepted and then marked Failed with a cooldown error are read here the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
import re

from ..errors import CooldownActive
from .const import COOLDOWN_SECONDS, COOLDOWN_WORDS, CommandStatus
from .models import Command, CommandError, parse_datetime

_ISO_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
# "Retry after <time>", "cooldown until <time>"...; not "created at <time>", which
# would be the previous command's time.
_RETRY_AT = re.compile(
    rf"(?:after|until|retry at|allowed at|available at|not before)\s*:?\s*({_ISO_TIME})", re.IGNORECASE
)
_ANY_TIME = re.compile(_ISO_TIME)


class CooldownFailedCommands(CooldownActive):
    """The platform created the commands, and failed one or more for the cooldown.

    ``commands`` is every command of its answer, the failed ones and those it kept, so
    the caller can cancel exactly what it does not want (by id, never by time: another
    window's commands may share a trigger time).
    """

    def __init__(self, message: str, *, allowed_at: datetime | None, commands: Sequence[Command]) -> None:
        super().__init__(message, allowed_at=allowed_at)
        self.commands = tuple(commands)


def mentions_cooldown(*texts: str | None) -> bool:
    """Whether a message speaks of the cooldown (not merely of the ignoreCooldown flag)."""
    lowered = " ".join(t for t in texts if t).lower().replace("ignorecooldown", "")
    return any(word in lowered for word in COOLDOWN_WORDS)


def cooldown_until(
    texts: Sequence[str | None],
    headers: Mapping[str, str] | None = None,
    last_command_at: datetime | None = None,
) -> datetime:
    """When the next command is allowed, from what the platform said.

    In order: a time in the message ("Retry after 2024-05-01T10:10:00Z", else the only
    time it mentions), the
    ``Retry-After`` header (seconds or a date), 10 minutes after the last command this
    client sent to the entity, and failing all that 10 minutes from now.
    """
    joined = " ".join(t for t in texts if t)
    match = _RETRY_AT.search(joined) or _ANY_TIME.search(joined)
    if match is not None:
        moment = parse_datetime(match.group(match.lastindex or 0))
        if moment is not None:
            return moment
    now = datetime.now(UTC)
    value = (headers or {}).get("Retry-After", "").strip()
    if value:
        if value.isdigit():
            return now + timedelta(seconds=int(value))
        moment = parse_datetime(value)
        if moment is None:
            try:
                moment = parsedate_to_datetime(value).astimezone(UTC)
            except (TypeError, ValueError):
                moment = None
        if moment is not None:
            return moment
    cooldown = timedelta(seconds=COOLDOWN_SECONDS)
    if last_command_at is not None and last_command_at + cooldown > now:
        return last_command_at + cooldown
    return now + cooldown


def cooldown_error(command: Command) -> CommandError | None:
    """The error of a command the cooldown failed, else ``None``."""
    error = command.error
    failed = command.status == CommandStatus.FAILED and error is not None
    if failed and error is not None and mentions_cooldown(error.title, error.description):
        return error
    return None
