"""Names that moved between the Home Assistant releases this integration supports."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import ClientError, ClientResponseError
from homeassistant import exceptions as ha_exceptions

# Home Assistant 2026.10 defines the device-class enums in the platforms' ``const``
# modules and, in that release, does not re-export them for type checkers (2026.11
# does again).  2025.4 has no ``binary_sensor.const``.  The packages have them at run
# time on every release, so they are imported from there.
from homeassistant.components.binary_sensor import BinarySensorDeviceClass  # type: ignore[attr-defined,unused-ignore]
from homeassistant.components.switch import SwitchDeviceClass  # type: ignore[attr-defined,unused-ignore]

try:  # Home Assistant 2025.12 and later
    from homeassistant.helpers.config_entry_oauth2_flow import ImplementationUnavailableError  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # Home Assistant 2025.4 to 2025.11 raise ValueError
    ImplementationUnavailableError = ValueError  # type: ignore[assignment,misc,unused-ignore]

try:  # newer Home Assistant types a repair flow's results (2025.4 has no such name)
    from homeassistant.components.repairs import RepairsFlowResult  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # Home Assistant 2025.4: a plain FlowResult
    from homeassistant.data_entry_flow import FlowResult as RepairsFlowResult  # type: ignore[assignment,no-redef,unused-ignore]

# Home Assistant 2026.x raises its own classes for a failed OAuth token request (they
# are aiohttp errors too): ``OAuth2TokenRequestReauthError`` when the user has to sign
# in again, ``OAuth2TokenRequestTransientError`` (a 429 or a 5xx) and a request with no
# answer when it may work later.  2025.4 raises aiohttp's errors as they come.
_OAUTH2_REAUTH_ERROR: type[ClientError] | None = getattr(ha_exceptions, "OAuth2TokenRequestReauthError", None)
_OAUTH2_TOKEN_ERRORS: tuple[type[Exception], ...] = tuple(
    cls
    for cls in (
        getattr(ha_exceptions, "OAuth2TokenRequestError", None),
        getattr(ha_exceptions, "OAuth2TokenRequestConnectionError", None),
    )
    if cls is not None
)


def token_request_needs_reauth(err: Exception) -> bool:
    """Whether a failed OAuth token request means the user has to sign in again.

    Home Assistant's own verdict where it has one (2026.x: its reauth class); otherwise
    the same rule on the answer's status, as 2025.4's aiohttp error carries it: any 4xx
    but 429 (Too Many Requests).
    """
    if _OAUTH2_REAUTH_ERROR is not None and isinstance(err, _OAUTH2_TOKEN_ERRORS):
        return isinstance(err, _OAUTH2_REAUTH_ERROR)
    return (
        isinstance(err, ClientResponseError)
        and 400 <= err.status < 500
        and err.status != HTTPStatus.TOO_MANY_REQUESTS
    )


__all__ = [
    "BinarySensorDeviceClass",
    "ImplementationUnavailableError",
    "RepairsFlowResult",
    "SwitchDeviceClass",
    "token_request_needs_reauth",
]
