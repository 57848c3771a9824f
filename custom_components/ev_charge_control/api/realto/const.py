"""Constants of the re.alto platform API (reference: realto-api.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, override

BASE_URL: Final = "https://platform.realto.io/api"
AUTH_PATH: Final = "/v1/authentication"
ENTITIES_PATH: Final = "/v1/entities"
# The cancel endpoint is listed in re.alto's docs but its page is not published; this is
# the path by analogy with the onboarding cancel (realto-api.md section 6.7).
CANCEL_PATH: Final = "/v1/entities/{entity_id}/commands/{command_id}/cancel"

DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_PAGE_SIZE: Final = 25  # the documented default; the maximum is not published
MAX_PAGES: Final = 1000  # a guard against a platform that never stops paging
TOKEN_REFRESH_MARGIN: Final = 60.0  # renew a token this many seconds before it lapses
DEFAULT_TOKEN_LIFETIME: Final = 3600.0  # when the answer has no usable expires_in
COOLDOWN_SECONDS: Final = 600.0  # "The cooldown period lasts 10 minutes."
COOLDOWN_WORDS: Final = ("cooldown", "cool down", "cool-down")


class CommandType(StrEnum):
    """The command types EVs accept (PV types such as LimitFeedIn are not sent here)."""

    START_CHARGING = "StartCharging"
    STOP_CHARGING = "StopCharging"


class CommandStatus(StrEnum):
    """A command's state; values the platform adds later are kept as they are."""

    PENDING = "Pending"
    TRIGGERED = "Triggered"
    SENT = "Sent"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @override
    @classmethod
    def _missing_(cls, value: object) -> CommandStatus | None:
        if not isinstance(value, str) or not value:
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member


FINAL_STATUSES: Final = frozenset({CommandStatus.SUCCEEDED, CommandStatus.FAILED, CommandStatus.CANCELED})
