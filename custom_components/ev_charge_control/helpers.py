"""Turning API errors into messages for the user, in one place for every action."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)

from .api import (
    ApiError,
    AuthenticationError,
    BillingLimitReached,
    CommandRefused,
    CommunicationError,
    CooldownActive,
    KeyNotPaired,
    MissingScope,
    RateLimited,
    ServerError,
    SessionInfoInvalid,
    SignedCommandFault,
    SigningRequired,
    VehicleBusy,
    VehicleUnavailable,
    WakeTimeout,
)
from .api.errors import InvalidArgument
from .const import DOMAIN
from .coordinator import VehicleCoordinator
from .issues import async_clear_car_issues
from .vehicle import Refusal, Vehicle

# Protocol faults of signed commands that have a message of their own; the rest are
# shown with the fault's name (Tesla's MessageFault_E).
SIGNED_FAULTS = {
    7: "signed_insufficient_privileges",
    21: "signed_remote_access_disabled",
}


def _error(key: str, **placeholders: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders or None
    )


def command_error(vehicle: Vehicle, err: ApiError) -> HomeAssistantError:
    """The translated error a user sees when a command fails."""
    name = vehicle.name
    if isinstance(err, CommandRefused):
        if err.reason in vehicle.refusals:
            return _error(vehicle.refusals[err.reason], name=name)
        return _error("command_refused", name=name, reason=err.reason or "unknown")
    if isinstance(err, CooldownActive):
        when = err.allowed_at.isoformat(timespec="minutes") if err.allowed_at else "unknown"
        return _error("cooldown_active", name=name, allowed_at=when)
    if isinstance(err, SigningRequired):
        return _error("signing_required", name=name)
    if isinstance(err, KeyNotPaired):
        return _error("key_not_paired", name=name)
    if isinstance(err, SessionInfoInvalid):
        return _error("signing_session_invalid", name=name)
    if isinstance(err, VehicleBusy):
        return _error("vehicle_busy", name=name)
    if isinstance(err, SignedCommandFault):
        if err.fault in SIGNED_FAULTS:
            return _error(SIGNED_FAULTS[err.fault], name=name)
        return _error("signed_command_fault", name=name, fault=err.fault_name)
    if isinstance(err, WakeTimeout):
        return _error("wake_timeout", name=name)
    if isinstance(err, VehicleUnavailable):
        return _error("vehicle_unavailable", name=name)
    if isinstance(err, RateLimited):
        seconds = str(round(err.retry_after)) if err.retry_after is not None else "?"
        return _error("command_rate_limited", name=name, seconds=seconds)
    if isinstance(err, AuthenticationError):
        return _error("auth_failed")
    if isinstance(err, MissingScope):
        return _error("missing_scope", error=err.message)
    if isinstance(err, BillingLimitReached):
        return _error("billing_limit", error=err.message)
    if isinstance(err, InvalidArgument):
        return _error("invalid_argument", error=err.message)
    if isinstance(err, CommunicationError):
        return _error("cannot_connect", error=err.message)
    if isinstance(err, ServerError):
        return _error("server_error", error=err.message)
    return _error("command_failed", name=name, error=err.message)


def refuse(key: str, **placeholders: str) -> ServiceValidationError:
    """The translated error for input that cannot apply; nothing is sent."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders or None
    )


@asynccontextmanager
async def handle_command_errors(coordinator: VehicleCoordinator) -> AsyncIterator[None]:
    """Wrap a command: API errors become translated ``HomeAssistantError``s.

    A rejected credential also starts reauthentication, so the user is asked to sign
    in again instead of seeing every later command fail.  So does a missing scope, as
    for a poll or a set-up: a token without the command scopes still polls, and signing
    in again is the only way to grant them.  Anything else the failure means is the
    provider's to say (``AccountVehicles.on_command_error``): a Tesla that turns out to
    need signing, or not to know the key, gets its repair.
    """
    vehicle = coordinator.vehicle
    entry = coordinator.config_entry
    try:
        yield
    except Refusal as err:
        raise refuse(err.translation_key, **err.placeholders) from err
    except ApiError as err:
        if isinstance(err, (AuthenticationError, MissingScope)):
            entry.async_start_reauth(coordinator.hass)
        elif coordinator.on_command_error is not None:
            coordinator.on_command_error(vehicle, err)
        raise command_error(vehicle, err) from err
    # The command went through: whatever a repair said about this car's signing is
    # fixed (the key was paired, signing set up), and would otherwise stay for good.
    async_clear_car_issues(coordinator.hass, entry.entry_id, vehicle.unique_id)


def setup_error(err: ApiError) -> Exception:
    """What a failed first contact with the API means for the entry."""
    if isinstance(err, (AuthenticationError, MissingScope)):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="auth_failed")
    if isinstance(err, BillingLimitReached):
        # Retried, not ConfigEntryError: the limit is raised outside Home Assistant,
        # so nothing would ever retry, and Home Assistant logs ConfigEntryError with a
        # traceback. Polls already treat the limit as passing; the list call is free.
        return ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="billing_limit",
            translation_placeholders={"error": err.message},
        )
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="setup_failed",
        translation_placeholders={"error": err.message},
    )
