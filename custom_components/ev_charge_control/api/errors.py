"""The error taxonomy shared by every vehicle API client in this package.

Every failure a client reports is an ``ApiError``; nothing leaks as a bare aiohttp or
JSON exception.  The classes say what the caller can do about it (authenticate again,
wait, wake the car, tell the user), not which HTTP status carried it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final


class ApiError(Exception):
    """Base class of every error raised by the API clients."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class InvalidArgument(ApiError, ValueError):
    """An argument is out of range or of the wrong type; nothing was sent."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


# --------------------------------------------------------------------------- auth
class AuthenticationError(ApiError):
    """The credentials were not accepted."""


class InvalidToken(AuthenticationError):
    """The access token is not valid (revoked, malformed, or for another account)."""


class TokenExpired(AuthenticationError):
    """The access token has expired; a refresh should fix it."""


class LoginRequired(AuthenticationError):
    """The refresh token was rejected (already used, or the password changed): reauthenticate."""


class MissingScope(ApiError):
    """The token lacks a scope the request needs."""


class SigningRequired(ApiError):
    """The car only accepts signed commands (Tesla Vehicle Command Protocol)."""


class InvalidClient(AuthenticationError):
    """The developer application's client id or secret was not accepted."""


class PartnerDomainRejected(ApiError):
    """Tesla would not register the domain: it is not the application's allowed origin (412)."""


class BillingLimitReached(ApiError):
    """The account's billing limit is reached or the application is disabled."""


class Forbidden(ApiError):
    """Any other refusal on authorisation grounds."""


# ----------------------------------------------------------------------- request
class BadRequest(ApiError):
    """The API refused the request's shape or parameters (HTTP 400)."""


class NotFound(ApiError):
    """The vehicle or resource does not exist for this account."""


class VehicleUnavailable(ApiError):
    """The car is asleep or offline (Tesla HTTP 408); wake it before a command."""


class WakeTimeout(VehicleUnavailable):
    """The car did not come online within the allowed time after a wake request."""


class WrongRegion(ApiError):
    """The account lives in another region; ``base_url`` is where to go instead."""

    def __init__(self, message: str, *, base_url: str | None, status: int | None = 421) -> None:
        super().__init__(message, status=status)
        self.base_url = base_url


class RateLimited(ApiError):
    """Too many requests; ``retry_after`` seconds to wait, when the API said so."""

    def __init__(self, message: str, *, retry_after: float | None, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(ApiError):
    """The API failed on its side (HTTP 5xx); safe to retry later."""


class CommunicationError(ApiError):
    """The request did not get an HTTP answer."""


class RequestTimeout(CommunicationError):
    """No answer within the client's timeout."""


class ConnectionFailed(CommunicationError):
    """The connection could not be made or was dropped."""


class MalformedResponse(ApiError):
    """The answer was not the JSON the API documents."""


class ResponseTooLarge(MalformedResponse):
    """The answer was larger than any the API sends; the rest of it was not read."""


OUTCOME_UNKNOWN: tuple[type[ApiError], ...] = (CommunicationError, ServerError, MalformedResponse)
"""Failures after which a request may have been carried out all the same: no answer, a
dropped connection, a server error, an answer that could not be read.  A command that
failed so is checked, never sent again."""


class ApiMoved(ApiError):
    """The API answered with a redirect (3xx); ``location`` is where it pointed.

    Redirects are never followed: a followed one would carry the request (its body, a
    client secret among them) to a host the user never configured.  The fix is the
    user's: check the API URL (Reconfigure).
    """

    def __init__(self, message: str, *, location: str | None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.location = location


# ----------------------------------------------------------------------- commands
class CommandRefused(ApiError):
    """The car (or platform) received the command and said no; ``reason`` says why."""

    def __init__(self, command: str, reason: str) -> None:
        super().__init__(f"{command} refused: {reason or 'no reason given'}")
        self.command = command
        self.reason = reason


class CooldownActive(ApiError):
    """re.alto's per-vehicle command cooldown is running; ``allowed_at`` is when it ends."""

    def __init__(self, message: str, *, allowed_at: datetime | None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.allowed_at = allowed_at


# ---------------------------------------------------------------- signed commands
MESSAGE_FAULTS: Final = {
    1: "BUSY",
    2: "TIMEOUT",
    3: "UNKNOWN_KEY_ID",
    4: "INACTIVE_KEY",
    5: "INVALID_SIGNATURE",
    6: "INVALID_TOKEN_OR_COUNTER",
    7: "INSUFFICIENT_PRIVILEGES",
    8: "INVALID_DOMAINS",
    9: "INVALID_COMMAND",
    10: "DECODING",
    11: "INTERNAL",
    12: "WRONG_PERSONALIZATION",
    13: "BAD_PARAMETER",
    14: "KEYCHAIN_IS_FULL",
    15: "INCORRECT_EPOCH",
    16: "IV_INCORRECT_LENGTH",
    17: "TIME_EXPIRED",
    18: "NOT_PROVISIONED_WITH_IDENTITY",
    19: "COULD_NOT_HASH_METADATA",
    20: "TIME_TO_LIVE_TOO_LONG",
    21: "REMOTE_ACCESS_DISABLED",
    22: "REMOTE_SERVICE_ACCESS_DISABLED",
    23: "COMMAND_REQUIRES_ACCOUNT_CREDENTIALS",
    24: "REQUEST_MTU_EXCEEDED",
    25: "RESPONSE_MTU_EXCEEDED",
    26: "REPEATED_COUNTER",
    27: "INVALID_KEY_HANDLE",
    28: "REQUIRES_RESPONSE_ENCRYPTION",
}
"""Tesla's ``MessageFault_E`` names, without their ``MESSAGEFAULT_ERROR_`` prefix."""


def fault_name(fault: int) -> str:
    return MESSAGE_FAULTS.get(fault, f"FAULT_{fault}")


class KeyNotPaired(ApiError):
    """The car does not know our key: the owner has to pair it (tesla.com/_ak/<domain>)."""


class SessionInfoInvalid(ApiError):
    """The car's session answer failed verification; nothing was signed with it.

    A wrong tag means the answer was not made with our key and the car's (another key
    under that VIN, or tampering on the way), so it is not trusted.
    """


class SignedCommandFault(ApiError):
    """The car refused a signed command at the protocol layer; ``fault`` is Tesla's code."""

    def __init__(self, fault: int, message: str | None = None) -> None:
        self.fault = fault
        self.fault_name = fault_name(fault)
        super().__init__(message or f"the car refused the signed command: {self.fault_name} ({fault})")


class SignedReplyInvalid(MalformedResponse):
    """A signed reply failed authentication (or repeats one already read).

    The command may or may not have run: the reply is not trusted either way.
    """


class VehicleBusy(ApiError):
    """The car was busy (or still booting) and did not run the command; try again shortly."""
