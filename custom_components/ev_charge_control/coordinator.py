"""One coordinator per vehicle, the entry's runtime data, and the poll error mapping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    OUTCOME_UNKNOWN,
    ApiError,
    AuthenticationError,
    BillingLimitReached,
    CommunicationError,
    MissingScope,
    NotFound,
    RateLimited,
    ServerError,
)
from .const import CONFIRM_DELAY, DOMAIN, LOGGER
from .data import EVData
from .vehicle import CommandOutcome, Vehicle

if TYPE_CHECKING:
    from .ready_by import ReadyByPlanner
    from .ready_by_settings import ReadyByStore
    from .watchdog import ChargingWatchdog

# Never wait longer than this after a 429, whatever Retry-After says: Tesla has sent
# values of many hours that overstated the wait.
MAX_RATE_LIMIT_WAIT = timedelta(hours=1)
# Without a Retry-After.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=10)
# A Retry-After of 0 (or a few seconds) would mean polling in a loop.
MIN_RATE_LIMIT_WAIT = timedelta(seconds=30)


@dataclass
class EVChargeControlData:
    """What a config entry holds while it is loaded."""

    coordinators: dict[str, VehicleCoordinator] = field(default_factory=dict)
    """By vehicle unique id (VIN or re.alto entity id)."""
    listeners: list[Callable[[list[VehicleCoordinator]], None]] = field(default_factory=list)
    """Platforms waiting for vehicles that join the account after set-up."""
    planners: dict[str, ReadyByPlanner] = field(default_factory=dict)
    """The ready-by planner of each vehicle that can hold a plan, by unique id."""
    ready_by_store: ReadyByStore | None = None
    watchdogs: dict[str, ChargingWatchdog] = field(default_factory=dict)
    """The charging watchdog of each vehicle that reports whether it charges."""

    @callback
    def async_add_listener(self, listener: Callable[[list[VehicleCoordinator]], None]) -> CALLBACK_TYPE:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    @callback
    def announce(self, coordinators: list[VehicleCoordinator]) -> None:
        for listener in list(self.listeners):
            listener(coordinators)


type EVChargeControlConfigEntry = ConfigEntry[EVChargeControlData]


class VehicleCoordinator(DataUpdateCoordinator[EVData]):
    """Polls one vehicle at the pace its provider asks for, and runs its commands."""

    config_entry: EVChargeControlConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EVChargeControlConfigEntry,
        vehicle: Vehicle,
        on_command_error: Callable[[Vehicle, ApiError], None] | None = None,
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {vehicle.name}",
            update_interval=timedelta(minutes=5),
            always_update=False,
        )
        self.vehicle = vehicle
        self.on_command_error = on_command_error
        """The provider's reaction to a failed command (``AccountVehicles``)."""
        self._confirm_unsub: CALLBACK_TYPE | None = None
        self._decision_refresh_at: datetime | None = None
        self._rate_limited_until: datetime | None = None

    @override
    async def _async_update_data(self) -> EVData:
        now = dt_util.utcnow()
        if self.data is not None and self._rate_limited_until is not None and now < self._rate_limited_until:
            # Every refresh comes here (the scheduled poll, a command's confirmation,
            # a decision, homeassistant.update_entity): none may ask before the API
            # said it could, as Tesla bills 429 answers too.
            self.update_interval = self._rate_limited_until - now
            return self.data
        try:
            result = await self.vehicle.async_poll(self.data)
        except RateLimited as err:
            # Keep what we know; ask again when the API says we may.
            wait = DEFAULT_RATE_LIMIT_WAIT
            if err.retry_after is not None:
                wait = max(timedelta(seconds=err.retry_after), MIN_RATE_LIMIT_WAIT)
            self.update_interval = min(wait, MAX_RATE_LIMIT_WAIT)
            # Once per stretch of 429s, not at every poll of it; again when it ends.
            log = LOGGER.debug if self._rate_limited_until is not None else LOGGER.warning
            log(
                "%s: rate limited by the vehicle API, next poll in %s",
                self.vehicle.name,
                self.update_interval,
            )
            self._rate_limited_until = now + self.update_interval
            if self.data is None:
                raise UpdateFailed(translation_domain=DOMAIN, translation_key="rate_limited") from err
            return self.data
        except (AuthenticationError, MissingScope) as err:
            # Signing in again is the fix for both: it also grants missing permissions.
            raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="auth_failed") from err
        except ApiError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=_poll_error_key(err),
                translation_placeholders={"error": err.message},
            ) from err
        if self._rate_limited_until is not None:
            LOGGER.info("%s: the vehicle API answers again", self.vehicle.name)
            self._rate_limited_until = None
        self.update_interval = result.next_poll
        return result.data

    async def async_data_for_decision(self) -> EVData:
        """The values to refuse or skip a command on: refreshed first when too old.

        Only an awake car is asked (one data request); a car that was asleep at the last
        state check has not changed, so its last values stand and nothing wakes it.
        """
        data = self.data or EVData()
        max_age = self.vehicle.decision_max_age
        now = dt_util.utcnow()
        if (
            max_age is None
            or data.online is not True
            or data.updated_at is None
            or now - data.updated_at <= max_age
            or (
                self._decision_refresh_at is not None
                and now - self._decision_refresh_at < self.vehicle.decision_refresh_spacing()
            )
        ):
            return data
        self._decision_refresh_at = now
        self.vehicle.request_fresh_data()
        await self.async_refresh()
        return self.data or data

    async def async_command(self, send: Callable[[], Awaitable[CommandOutcome]]) -> None:
        """Run a command; show its known effect at once, and re-check if needed.

        Errors propagate to the caller, which maps them for the user.  A command that
        failed without a clear answer may still have reached the car: its state is
        read again after ``CONFIRM_DELAY`` rather than at the next idle poll, so the
        entities show what the car did.
        """
        try:
            outcome = await send()
        except OUTCOME_UNKNOWN:
            self.vehicle.request_fresh_data()
            self._schedule_confirmation()
            raise
        if outcome.changes is not None:
            current = self.data or EVData()
            # Not async_set_updated_data: that also moves the next poll a full interval
            # away, so an automation changing the current every few minutes would stop
            # polling altogether while the car charges.
            self.data = outcome.changes(current)
            self.async_update_listeners()
        if outcome.confirm:
            self._schedule_confirmation()

    @callback
    def _schedule_confirmation(self) -> None:
        if self._confirm_unsub is not None:
            self._confirm_unsub()

        @callback
        def _refresh(_now: object) -> None:
            self._confirm_unsub = None
            self.hass.async_create_task(self.async_request_refresh(), eager_start=True)

        self._confirm_unsub = async_call_later(self.hass, CONFIRM_DELAY, _refresh)

    @override
    async def async_shutdown(self) -> None:
        if self._confirm_unsub is not None:
            self._confirm_unsub()
            self._confirm_unsub = None
        await super().async_shutdown()


def _poll_error_key(err: ApiError) -> str:
    if isinstance(err, CommunicationError):
        return "cannot_connect"
    if isinstance(err, ServerError):
        return "server_error"
    if isinstance(err, NotFound):
        return "vehicle_not_found"
    if isinstance(err, BillingLimitReached):
        return "billing_limit"
    return "update_failed"
