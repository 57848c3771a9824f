"""Tesla vehicles: the polling policy and the commands, on top of ``api.tesla``.

Polling follows what users of the existing integrations taught us:
* every ``vehicle_data`` call is billed and keeps older cars awake, so it is only made
  when the car is already online and the data is worth refreshing;
* the free vehicle list tells whether a car is online; it is shared by every car of
  the account, so sleeping cars cost one request per cycle in total;
* a command first makes sure the car is awake (a car can fall asleep between a poll and
  a command), and a 408 on the command itself means wake and retry once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar, override

from homeassistant.util import dt as dt_util

from .api import (
    CostCounter,
    MissingScope,
    NotFound,
    RateLimited,
    VehicleUnavailable,
    WakeTimeout,
    WrongRegion,
)
from .api.tesla import (
    ChargeState,
    ChargingState,
    CommandResult,
    TeslaClient,
    Vehicle as ApiVehicle,
    VehicleData,
)
from .api.tesla.const import Endpoint, VehicleState
from .api.tesla.models import ChargeSchedule, PreconditionSchedule
from .const import (
    MANUFACTURER_TESLA,
    TESLA_CHARGING_AWAKE,
    TESLA_CHARGING_INTERVAL,
    TESLA_DECISION_MAX_AGE,
    TESLA_DECISION_REFRESH_SPACING,
    TESLA_IDLE_DATA_INTERVAL,
    TESLA_JUST_PARKED,
    TESLA_RECENTLY_ONLINE,
    TESLA_STATE_INTERVAL,
    TESLA_STATE_MAX_AGE,
    TESLA_WAKE_TIMEOUT,
)
from .data import Capability, ChargingStatus, EVData
from .tesla_schedules import (
    OFF_PEAK_SCHEDULE_ID,
    PLAN_SCHEDULE_IDS,
    PRECONDITION_SCHEDULE_ID,
    Home,
    daily_start,
    disabled,
    find,
    is_enabled,
    next_start,
    off_peak_window,
    place_plan,
    plan_schedules,
    plan_window,
    precondition_at,
    same_times,
    start_minutes,
    starts_charging,
)
from .vehicle import ChargeWindow, CommandOutcome, DepartureSettings, PlanLimits, PollResult, Refusal, Vehicle

MILES_TO_KM = 1.609344
PLAN_IN_SCHEDULES = PlanLimits(max_windows=len(PLAN_SCHEDULE_IDS))
"""Charge-schedule firmware: each window a one-time schedule of its own."""
PLAN_AS_START = PlanLimits(max_windows=1, ends_at_limit=True)
"""Older firmware: one scheduled-charging start; the car charges to its limit."""
LOW_AMPS = 5
TESLA_CAPABILITIES = frozenset(
    {
        Capability.CHARGING,
        Capability.CHARGE_LIMIT,
        Capability.CHARGING_AMPS,
        Capability.CHARGE_PORT,
        Capability.CHARGE_LIMIT_PRESETS,
        Capability.SCHEDULED_CHARGING,
        Capability.SCHEDULED_DEPARTURE,
        Capability.CHARGER_DETAILS,
        Capability.MEASURED_CHARGING,
        Capability.API_COSTS,
        Capability.AWAKE_STATE,
        Capability.CHARGE_PLAN,
        Capability.CHARGE_ENERGY,
    }
)
_CHARGING_STATUS = {
    ChargingState.STARTING: ChargingStatus.STARTING,
    ChargingState.CHARGING: ChargingStatus.CHARGING,
    ChargingState.STOPPED: ChargingStatus.STOPPED,
    ChargingState.COMPLETE: ChargingStatus.COMPLETE,
    ChargingState.DISCONNECTED: ChargingStatus.DISCONNECTED,
    ChargingState.NO_POWER: ChargingStatus.NO_POWER,
}
# One data request, billed the same whatever it holds: the charge state, the drive state
# (driving or parked), the firmware, the charge schedules that replace scheduled
# charging on firmware 2024.26+, and where the car is (firmware 2023.38+ sends the
# position only for location_data), to tell a session at home from one elsewhere.
DATA_ENDPOINTS = (
    Endpoint.CHARGE_STATE,
    Endpoint.DRIVE_STATE,
    Endpoint.VEHICLE_STATE,
    Endpoint.CHARGE_SCHEDULE_DATA,
    Endpoint.PRECONDITIONING_SCHEDULE_DATA,
    Endpoint.LOCATION_DATA,
)
DATA_ENDPOINTS_WITHOUT_LOCATION = tuple(e for e in DATA_ENDPOINTS if e is not Endpoint.LOCATION_DATA)
# The fourth VIN character names the model.
_MODELS = {"S": "Model S", "3": "Model 3", "X": "Model X", "Y": "Model Y", "C": "Cybertruck", "R": "Roadster"}


def model_from_vin(vin: str) -> str | None:
    return _MODELS.get(vin[3:4].upper()) if len(vin) == 17 else None


def vehicle_name(summary: ApiVehicle) -> str:
    """As the owner named the car in the Tesla app, else its model, else its VIN."""
    return summary.display_name or model_from_vin(summary.vin) or summary.vin


def _km(miles: float | None) -> float | None:
    return None if miles is None else round(miles * MILES_TO_KM, 2)


def _measured_charging(charge: ChargeState) -> bool | None:
    """Whether the car says it charges: Charging, or Starting.

    Starting is the car's own word that a session is under way (it has accepted the
    start and is ramping up with the charger, for seconds); a read ~15 s after a start
    often lands in it, and the next one is 9 minutes later.  Home Assistant's
    tesla_fleet and Tessie count it as charging too (core PR #136562).  The current
    sensor shows 0 A while it lasts.  A state this version does not know reads as unknown.
    """
    if charge.charging_state is None or charge.charging_state is ChargingState.UNKNOWN:
        return None
    return charge.is_charging


def charge_state_to_data(charge: ChargeState, fetched_at: datetime) -> EVData:
    """Tesla's ``charge_state`` as the integration's neutral snapshot."""
    minutes = charge.minutes_to_full_charge
    if minutes is None and charge.time_to_full_charge is not None:
        minutes = round(charge.time_to_full_charge * 60)
    mode = charge.scheduled_charging_mode
    start = charge.scheduled_charging_start_time
    return EVData(
        online=True,
        updated_at=fetched_at,
        battery_level=charge.battery_level,
        range_km=_km(charge.battery_range),
        charging=charge.is_charging if charge.charging_state is not None else None,
        charging_status=_CHARGING_STATUS.get(charge.charging_state) if charge.charging_state else None,
        charging_measured=_measured_charging(charge),
        plugged_in=charge.is_plugged_in,
        charge_limit=charge.charge_limit_soc,
        charge_limit_min=charge.charge_limit_soc_min,
        charge_limit_max=charge.charge_limit_soc_max,
        charge_limit_standard=charge.charge_limit_soc_std,
        charging_amps=charge.charge_current_request,
        charging_amps_max=charge.charge_current_request_max,
        charger_power_kw=charge.charger_power,
        # 0 A (and a few volts) while plugged in and not charging is the car's reading;
        # null, sent by some firmware while unplugged, stays unknown.
        charger_current_a=charge.charger_actual_current,
        charger_voltage_v=charge.charger_voltage,
        charge_rate_km_h=_km(charge.charge_rate),
        energy_added_kwh=charge.charge_energy_added,
        minutes_to_full=minutes,
        charge_port_open=charge.charge_port_door_open,
        scheduled_charging_enabled=None if mode is None else mode == "StartAt",
        scheduled_charging_minutes=charge.scheduled_charging_start_time_minutes,
        scheduled_charging_start=(
            dt_util.utc_from_timestamp(start) if start is not None and mode not in (None, "Off") else None
        ),
    )


class TeslaAccount:
    """One Tesla account: its client and the shared check of which cars are online."""

    def __init__(
        self,
        client: TeslaClient,
        on_base_url_change: Callable[[str], Awaitable[None]] | None = None,
        *,
        follow_region: bool = True,
        signs_commands: bool = False,
    ) -> None:
        """``follow_region`` is off behind a proxy: its wrong-region answer names Tesla's
        own host, and going there would bypass the proxy and its command signing.
        ``signs_commands``: the client holds this installation's key and signs commands
        for the cars that require it."""
        self.client = client
        self.signs_commands = signs_commands
        self._on_base_url_change = on_base_url_change
        self._follow_region = follow_region
        self._states: dict[str, ApiVehicle] = {}
        self._states_at: datetime | None = None
        self._pending: asyncio.Future[dict[str, ApiVehicle]] | None = None
        self.location_allowed = True
        """Cleared when Tesla refuses location_data (a token without the
        ``vehicle_location`` scope): the scope is the account's, so for every car."""
        # A 429 on the list holds for every car of the account, not only the one whose
        # poll got it: each would otherwise ask again, and be billed the 429.
        self._list_limited_until: datetime | None = None

    async def async_list_vehicles(self) -> list[ApiVehicle]:
        """Every vehicle of the account, following a wrong-region answer once."""
        try:
            vehicles = await self.client.list_vehicles()
        except WrongRegion as err:
            if not self._follow_region or not err.base_url or err.base_url == self.client.base_url:
                raise
            self.client.base_url = err.base_url
            if self._on_base_url_change is not None:
                await self._on_base_url_change(err.base_url)
            vehicles = await self.client.list_vehicles()
        self._states = {v.vin: v for v in vehicles}
        self._states_at = dt_util.utcnow()
        return vehicles

    async def async_vehicle_states(self) -> dict[str, ApiVehicle]:
        """States of every car, from one recent list call shared by all coordinators."""
        now = dt_util.utcnow()
        if self._states_at is not None and now - self._states_at < TESLA_STATE_MAX_AGE:
            return self._states
        if self._list_limited_until is not None and now < self._list_limited_until:
            wait = (self._list_limited_until - now).total_seconds()
            raise RateLimited("the vehicle list is rate limited", retry_after=wait)
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._refresh_states())
        pending = self._pending
        return await asyncio.shield(pending)

    async def _refresh_states(self) -> dict[str, ApiVehicle]:
        try:
            await self.async_list_vehicles()
        except RateLimited as err:
            wait = timedelta(seconds=err.retry_after) if err.retry_after else TESLA_STATE_INTERVAL
            self._list_limited_until = dt_util.utcnow() + wait
            raise
        finally:
            self._pending = None
        return self._states

    async def async_unpaired(self, vins: list[str]) -> set[str]:
        """The cars among ``vins`` that do not know the key Tesla holds for the application."""
        status = await self.client.fleet_status(vins)
        return {vin for vin in vins if vin not in status.key_paired_vins}

    def note_state(self, vin: str, state: VehicleState) -> None:
        """Remember what a command learnt about a car's state."""
        known = self._states.get(vin)
        if known is not None and known.state is not state:
            self._states[vin] = ApiVehicle(
                vin=known.vin,
                vehicle_id=known.vehicle_id,
                display_name=known.display_name,
                state=state,
                command_signing=known.command_signing,
                raw=known.raw,
            )


class TeslaVehicle(Vehicle):
    """A Tesla of the account."""

    capabilities = TESLA_CAPABILITIES
    refusals: ClassVar[Mapping[str, str]] = {
        "disconnected": "refused_disconnected",
        "complete": "refused_complete",
        "no_power": "refused_no_power",
        "cable_connected": "refused_cable_connected",
        "not_supported": "refused_not_supported",
        "could_not_wake_buses": "refused_not_awake",
        "charging": "refused_charging",
    }
    manufacturer = MANUFACTURER_TESLA
    decision_max_age = TESLA_DECISION_MAX_AGE

    def __init__(self, account: TeslaAccount, summary: ApiVehicle, home: Home) -> None:
        self.account = account
        self.client = account.client
        self.home = home
        self.vin = summary.vin
        self.unique_id = summary.vin
        self.serial_number = summary.vin
        self.model = model_from_vin(summary.vin)
        self.name = vehicle_name(summary)
        self.command_signing = summary.command_signing
        self.signed = account.signs_commands and summary.command_signing == "required"
        self.client.set_command_signing(self.vin, self.signed)
        self._state = summary.state
        self._state_at = dt_util.utcnow()
        self._lock = asyncio.Lock()
        # Counts wakes that timed out: a command queued behind one fails with it.
        self._wake_failures = 0
        self._refresh_data = False
        self._last: EVData | None = None
        self._driving = False
        self._parked_at: datetime | None = None
        # What the last data said about schedules; None until the car was read once.
        self._firmware: str | None = None
        self._charge_schedules: tuple[ChargeSchedule, ...] | None = None
        self._precondition_schedules: tuple[PreconditionSchedule, ...] | None = None
        self._uses_schedules: bool | None = None
        # The ready-by plan written last, and whether the car was read since.
        self._plan: tuple[ChargeWindow, ...] = ()
        self._plan_written: dict[int, ChargeWindow] = {}
        """The window each plan schedule was written with, also once it has ended (the
        car has run it: spent, not the owner's); empty after a restart, when the windows
        are found again by their times."""
        self._plan_read = False
        self._start_written: tuple[bool, int] | None = None
        """Scheduled charging (on, minutes) as written since the car was last read."""

    @property
    @override
    def costs(self) -> CostCounter:
        return self.client.costs.for_vehicle(self.vin)

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {
            "state": self._state,
            "command_signing": self.command_signing,
            "signed_here": self.signed,
            "model": self.model,
            "firmware": self._firmware,
            "uses_charge_schedules": self._uses_schedules,
            "charge_schedules": len(self._charge_schedules or ()),
        }

    @override
    def request_fresh_data(self) -> None:
        self._refresh_data = True

    @override
    def decision_refresh_spacing(self) -> timedelta:
        """Nothing while the car is awake anyway (driving, charging, just parked: a cable
        often goes in now); otherwise spaced so that refreshes cannot keep it awake."""
        if self._driving or (self._last is not None and self._last.charging):
            return timedelta(0)
        if self._parked_at is not None and dt_util.utcnow() - self._parked_at < TESLA_JUST_PARKED:
            return timedelta(0)
        return TESLA_DECISION_REFRESH_SPACING

    def _note_state(self, state: VehicleState) -> None:
        self._state = state
        self._state_at = dt_util.utcnow()
        self.account.note_state(self.vin, state)

    # ------------------------------------------------------------------ polling
    @override
    async def async_poll(self, previous: EVData | None) -> PollResult:
        data = previous or EVData()
        if self._surely_awake(data):
            try:
                return await self._poll_data(data)
            except WrongRegion:
                pass  # The account moved region: the state check below follows it.
        states = await self.account.async_vehicle_states()
        summary = states.get(self.vin)
        if summary is None:
            raise NotFound(f"{self.vin} is no longer on the account")
        self._note_state(summary.state)
        if not summary.is_online:
            return PollResult(replace(data, online=False), TESLA_STATE_INTERVAL)
        return await self._poll_data(data)

    async def _poll_data(self, data: EVData) -> PollResult:
        """The car is online: fetch its data if it is due."""
        if self._wants_data(data):
            try:
                fresh = await self._vehicle_data()
            except VehicleUnavailable:
                # It fell asleep between the state check and the data call.
                self._note_state(VehicleState.ASLEEP)
                return PollResult(replace(data, online=False), TESLA_STATE_INTERVAL)
            self._refresh_data = False
            self._note_drive(fresh.raw.get("drive_state"))
            self._note_schedules(fresh)
            self._plan_read = True
            self._start_written = None
            if fresh.charge_state is not None:
                data = self._with_schedules(charge_state_to_data(fresh.charge_state, dt_util.utcnow()))
                data = replace(data, latitude=fresh.latitude, longitude=fresh.longitude)
        else:
            data = replace(data, online=True)
        self._last = data
        return PollResult(data, self._next_poll(data))

    async def _vehicle_data(self) -> VehicleData:
        """One data request, with the car's position while the token allows it.

        Tesla answers 403 "missing scopes" to location_data without the
        ``vehicle_location`` scope (a sign-in from before it was asked for, or a user
        who unticked it): the data is then asked for without the position, now and until
        the entry is reloaded (as after signing in again), so polling goes on.
        """
        if self.account.location_allowed:
            try:
                return await self.client.vehicle_data(self.vin, DATA_ENDPOINTS)
            except MissingScope:
                self.account.location_allowed = False
        return await self.client.vehicle_data(self.vin, DATA_ENDPOINTS_WITHOUT_LOCATION)

    @staticmethod
    def _surely_awake(data: EVData) -> bool:
        """Charging this recently: it cannot have fallen asleep since (that takes the end
        of the session and then 10-15 quiet minutes), so no state check is needed, and a
        charging car does not add its own account-wide check to the sleeping cars' one."""
        return (
            data.charging is True
            and data.online is True
            and data.updated_at is not None
            and dt_util.utcnow() - data.updated_at < TESLA_CHARGING_AWAKE
        )

    def _note_schedules(self, fresh: VehicleData) -> None:
        self._firmware = fresh.firmware or self._firmware
        self._uses_schedules = fresh.uses_charge_schedules
        if fresh.charge_schedules is not None:
            self._charge_schedules = fresh.charge_schedules
        if fresh.precondition_schedules is not None:
            self._precondition_schedules = fresh.precondition_schedules

    def _with_schedules(self, data: EVData) -> EVData:
        """On charge-schedule firmware, scheduled charging is read from the schedules."""
        if not self._uses_schedules:
            return data
        schedules = self._charge_schedules or ()
        return replace(
            data,
            scheduled_charging_enabled=is_enabled(schedules),
            scheduled_charging_minutes=start_minutes(schedules),
            scheduled_charging_start=next_start(schedules, dt_util.utcnow(), dt_util.get_default_time_zone()),
        )

    def _note_drive(self, drive_state: object) -> None:
        shift = drive_state.get("shift_state") if isinstance(drive_state, Mapping) else None
        driving = shift in ("D", "R", "N")
        if self._driving and not driving:
            self._parked_at = dt_util.utcnow()
        self._driving = driving

    def _wants_data(self, data: EVData) -> bool:
        if data.updated_at is None or self._refresh_data or data.online is not True:
            # Never fetched, asked to confirm a command, or the car just woke up.
            return True
        age = dt_util.utcnow() - data.updated_at
        if data.charging:
            # Leave a little slack so a poll scheduled at the interval does fetch.
            return age >= TESLA_CHARGING_INTERVAL - timedelta(seconds=30)
        return age >= TESLA_IDLE_DATA_INTERVAL

    @staticmethod
    def _next_poll(data: EVData) -> timedelta:
        if data.charging:
            interval = TESLA_CHARGING_INTERVAL
            if data.minutes_to_full is not None and data.minutes_to_full > 0:
                # Catch the end of the session rather than report it up to 9 min late.
                interval = min(interval, timedelta(minutes=data.minutes_to_full + 1))
            return interval
        return TESLA_STATE_INTERVAL

    # ----------------------------------------------------------------- commands
    async def _ensure_awake(self) -> None:
        recently = dt_util.utcnow() - self._state_at < TESLA_RECENTLY_ONLINE
        if self._state is VehicleState.ONLINE and recently:
            return
        summary = await self.client.vehicle(self.vin)
        self._note_state(summary.state)
        if summary.is_online:
            return
        try:
            await self.client.wake_and_wait(self.vin, timeout=TESLA_WAKE_TIMEOUT)
        except WakeTimeout:
            self._wake_failures += 1
            raise
        self._note_state(VehicleState.ONLINE)
        # It was asleep: whatever it says now is news.
        self._refresh_data = True

    async def _command(self, send: Callable[[], Awaitable[CommandResult]]) -> CommandResult:
        """Send one command: serialised per car, woken first, retried once after a 408.

        Commands that queued up while the car would not wake fail with that wake:
        another wake request and minute of waiting each would not wake it either.
        """
        failures = self._wake_failures
        async with self._lock:
            if self._wake_failures != failures:
                raise WakeTimeout(
                    f"{self.vin} did not come online for the command before this one", status=None
                )
            await self._ensure_awake()
            try:
                result = await send()
            except VehicleUnavailable:
                self._note_state(VehicleState.ASLEEP)
                await self._ensure_awake()
                result = await send()
            self._note_state(VehicleState.ONLINE)
            return result

    def _confirm(self, changes: Callable[[EVData], EVData] | None = None) -> CommandOutcome:
        self._refresh_data = True
        return CommandOutcome(changes, confirm=True)

    @override
    async def async_start_charging(self) -> CommandOutcome:
        await self._command(lambda: self.client.charge_start(self.vin))
        return self._confirm(lambda d: replace(d, charging=True, charging_status=ChargingStatus.STARTING))

    @override
    async def async_stop_charging(self) -> CommandOutcome:
        await self._command(lambda: self.client.charge_stop(self.vin))
        return self._confirm(lambda d: replace(d, charging=False, charging_status=ChargingStatus.STOPPED))

    @override
    async def async_set_charge_limit(self, percent: int) -> CommandOutcome:
        await self._command(lambda: self.client.set_charge_limit(self.vin, percent))
        return CommandOutcome(lambda d: replace(d, charge_limit=percent))

    @override
    async def async_set_charging_amps(self, amps: int) -> CommandOutcome:
        await self._command(lambda: self.client.set_charging_amps(self.vin, amps))
        if amps < LOW_AMPS:
            # Some cars answer "done" but apply 5 A for a first request below 5 A:
            # check what the car really took.
            return self._confirm(lambda d: replace(d, charging_amps=amps))
        return CommandOutcome(lambda d: replace(d, charging_amps=amps))

    @override
    async def async_open_charge_port(self) -> CommandOutcome:
        await self._command(lambda: self.client.charge_port_door_open(self.vin))
        return CommandOutcome(lambda d: replace(d, charge_port_open=True))

    @override
    async def async_close_charge_port(self) -> CommandOutcome:
        await self._command(lambda: self.client.charge_port_door_close(self.vin))
        return CommandOutcome(lambda d: replace(d, charge_port_open=False))

    @override
    async def async_charge_max_range(self) -> CommandOutcome:
        await self._command(lambda: self.client.charge_max_range(self.vin))
        limit = (self._last.charge_limit_max if self._last else None) or 100
        return CommandOutcome(lambda d: replace(d, charge_limit=limit))

    @override
    async def async_charge_standard(self) -> CommandOutcome:
        await self._command(lambda: self.client.charge_standard(self.vin))
        standard = self._last.charge_limit_standard if self._last else None
        if standard is None:
            return self._confirm()
        return CommandOutcome(lambda d: replace(d, charge_limit=standard))

    async def _uses_charge_schedules(self) -> bool:
        """Whether the car takes charge schedules: known from data, else read once.

        A car asleep since Home Assistant started has not said which firmware it runs;
        it is about to be woken for the command anyway, so one data request settles it.
        """
        if self._uses_schedules is None:
            async with self._lock:
                await self._ensure_awake()
                fresh = await self._vehicle_data()
                self._note_schedules(fresh)
        return bool(self._uses_schedules)

    @override
    async def async_set_scheduled_charging(self, enable: bool, minutes: int) -> CommandOutcome:
        changes: Callable[[EVData], EVData] = (
            (lambda d: replace(d, scheduled_charging_enabled=True, scheduled_charging_minutes=minutes))
            if enable
            else (lambda d: replace(d, scheduled_charging_enabled=False, scheduled_charging_start=None))
        )
        if await self._uses_charge_schedules():
            await self._set_daily_start(enable, minutes)
        else:
            await self._command(lambda: self.client.set_scheduled_charging(self.vin, enable, minutes))
        return self._confirm(changes)

    async def _set_daily_start(self, enable: bool, minutes: int) -> None:
        """On: our daily start at ``minutes``. Off: every schedule that starts charging is
        turned off (kept, with its times), so the car charges when plugged in, as the
        older scheduled-charging switch did."""
        if enable:
            await self._add_charge_schedule(daily_start(minutes, self.home))
            return
        for current in self._charge_schedules or ():
            if starts_charging(current):
                await self._add_charge_schedule(disabled(current))

    @override
    async def async_set_scheduled_departure(self, settings: DepartureSettings) -> CommandOutcome:
        if await self._uses_charge_schedules():
            await self._set_departure_schedules(settings)
        else:
            await self._command(
                lambda: self.client.set_scheduled_departure(
                    self.vin,
                    enable=settings.enable,
                    departure_time=settings.departure_time,
                    preconditioning_enabled=settings.preconditioning_enabled,
                    preconditioning_weekdays_only=settings.preconditioning_weekdays_only,
                    off_peak_charging_enabled=settings.off_peak_charging_enabled,
                    off_peak_charging_weekdays_only=settings.off_peak_charging_weekdays_only,
                    end_off_peak_time=settings.end_off_peak_time,
                )
            )
        return self._confirm()

    async def _set_departure_schedules(self, settings: DepartureSettings) -> None:
        """The departure as schedules: preconditioning at the departure time, and charging
        between the start and the end of off-peak hours."""
        precondition = settings.enable and (
            settings.preconditioning_enabled or settings.preconditioning_weekdays_only
        )
        off_peak = settings.enable and (
            settings.off_peak_charging_enabled or settings.off_peak_charging_weekdays_only
        )
        if off_peak and settings.off_peak_start_time is None:
            # Checked before anything is sent: without it the car would charge at once.
            raise Refusal("off_peak_start_required", name=self.name)
        wanted_precondition = (
            precondition_at(settings.departure_time, settings.preconditioning_weekdays_only, self.home)
            if precondition
            else None
        )
        wanted_off_peak = (
            off_peak_window(
                settings.off_peak_start_time or 0,
                settings.end_off_peak_time,
                settings.off_peak_charging_weekdays_only,
                self.home,
            )
            if off_peak
            else None
        )
        current_precondition = find(self._precondition_schedules or (), PRECONDITION_SCHEDULE_ID)
        if wanted_precondition is not None:
            await self._add_precondition_schedule(wanted_precondition)
        elif current_precondition is not None and current_precondition.enabled:
            await self._add_precondition_schedule(disabled(current_precondition))
        current_off_peak = find(self._charge_schedules or (), OFF_PEAK_SCHEDULE_ID)
        if wanted_off_peak is not None:
            await self._add_charge_schedule(wanted_off_peak)
        elif current_off_peak is not None and current_off_peak.enabled:
            await self._add_charge_schedule(disabled(current_off_peak))

    async def _add_charge_schedule(self, schedule: ChargeSchedule) -> None:
        """Add a schedule, or change the one with the same id; the car's list follows, so
        the next command decides on what the car now holds, not on the last poll."""
        await self._command(lambda: self.client.add_charge_schedule(self.vin, schedule))
        self._charge_schedules = _with_schedule(self._charge_schedules, schedule)

    async def _add_precondition_schedule(self, schedule: PreconditionSchedule) -> None:
        await self._command(lambda: self.client.add_precondition_schedule(self.vin, schedule))
        self._precondition_schedules = _with_schedule(self._precondition_schedules, schedule)

    # ------------------------------------------------------------ ready-by plan
    @property
    @override
    def plan_limits(self) -> PlanLimits:
        """Several windows once the car is known to take charge schedules; else one start,
        which both kinds of firmware hold (a car asleep since start-up is not known yet)."""
        return PLAN_IN_SCHEDULES if self._uses_schedules else PLAN_AS_START

    @override
    async def async_write_charge_plan(self, windows: Sequence[ChargeWindow]) -> CommandOutcome:
        """Charge-schedule firmware: one one-time schedule per window.  Older firmware:
        the first window's start as the daily scheduled-charging start.  Only what the
        car does not hold yet is sent."""
        wanted = tuple(windows)
        uses_schedules = await self._uses_charge_schedules()
        limits = PLAN_IN_SCHEDULES if uses_schedules else PLAN_AS_START
        if len(wanted) > limits.max_windows:
            # Before anything is sent: a plan made while the firmware was not known yet.
            raise Refusal(
                "plan_too_many_windows",
                name=self.name,
                windows=str(len(wanted)),
                most=str(limits.max_windows),
            )
        if uses_schedules:
            sent = await self._write_plan_schedules(wanted)
        else:
            sent = await self._write_plan_start(wanted)
        if sent or wanted != self._plan:
            self._plan = wanted
            self._plan_read = False
        return self._confirm() if sent else CommandOutcome()

    def _plan_as_schedules(self, windows: Sequence[ChargeWindow]) -> list[ChargeSchedule]:
        """The windows as schedules; their ids are placeholders until placed."""
        zone = dt_util.get_default_time_zone()
        return [plan_window(PLAN_SCHEDULE_IDS[0], w.start, w.end, self.home, zone) for w in windows]

    async def _write_plan_schedules(self, windows: tuple[ChargeWindow, ...]) -> bool:
        """Windows the car holds (under any of the plan's ids) stay as they are; the
        others go into the plan ids left over, first those the car holds (changed, not
        added: one command each).  A plan schedule left over is removed while it could
        still charge; one whose window has ended (the car has run it) only when the plan
        is cleared: until then the next plan reuses it."""
        now = dt_util.utcnow()
        wanted = self._plan_as_schedules(windows)
        held = plan_schedules(self._charge_schedules or ())
        known = self._known_plan_ids(windows)
        placed = place_plan(wanted, held, known)
        free = sorted((i for i in PLAN_SCHEDULE_IDS if i not in placed.values()), key=lambda i: i not in held)
        sent = False
        for index, schedule in enumerate(wanted):
            if index not in placed:
                # Its own id again (changed in the app: changed back), else the first free.
                own = known[index]
                schedule_id = own if own is not None and own in free else free[0]
                free.remove(schedule_id)
                placed[index] = schedule_id
                await self._add_charge_schedule(replace(schedule, id=schedule_id))
                sent = True
        spent: dict[int, ChargeWindow] = {}
        for schedule_id in free:
            current = held.get(schedule_id)
            if current is None:
                continue
            ran = self._plan_written.get(schedule_id)
            harmless = not current.enabled or (ran is not None and ran.end <= now)
            if windows and harmless:
                if ran is not None:
                    spent[schedule_id] = ran
                continue
            await self._command(partial(self.client.remove_charge_schedule, self.vin, schedule_id))
            self._charge_schedules = tuple(s for s in self._charge_schedules or () if s.id != schedule_id)
            sent = True
        self._plan_written = spent | {placed[index]: window for index, window in enumerate(windows)}
        return sent

    def _known_plan_ids(self, windows: Sequence[ChargeWindow]) -> list[int | None]:
        """The plan id each window was written with, if known."""
        by_window = {window: schedule_id for schedule_id, window in self._plan_written.items()}
        return [by_window.get(window) for window in windows]

    async def _write_plan_start(self, windows: tuple[ChargeWindow, ...]) -> bool:
        """The first window's start as the daily scheduled-charging start.  No plan:
        scheduled charging off, if the car holds (or may hold) the plan's start; a time
        set in the app since is the owner's and stays."""
        held = self._held_start()
        if windows:
            wanted = (True, self._start_minutes(windows[0]))
            if held == wanted:
                return False
        else:
            if not self._plan:
                return False  # nothing written: the car's scheduled charging is the owner's
            ours = (True, self._start_minutes(self._plan[0]))
            if held is not None and held != ours:
                return False
            wanted = (False, ours[1])
        await self._command(lambda: self.client.set_scheduled_charging(self.vin, *wanted))
        self._start_written = wanted
        return True

    @staticmethod
    def _start_minutes(window: ChargeWindow) -> int:
        start = window.start.astimezone(dt_util.get_default_time_zone())
        return start.hour * 60 + start.minute

    def _held_start(self) -> tuple[bool, int] | None:
        """Scheduled charging as the car holds it: written since the last read, else read."""
        if self._start_written is not None:
            return self._start_written
        data = self._last
        if data is None or data.scheduled_charging_enabled is None:
            return None
        return (data.scheduled_charging_enabled, data.scheduled_charging_minutes or 0)

    @override
    def restore_charge_plan(self, windows: Sequence[ChargeWindow]) -> None:
        self._plan = tuple(windows)
        self._plan_written = {}  # found again by their times

    @override
    def charge_plan_intact(self) -> bool | None:
        """Whether the car, as last read, holds every window of the plan that has not
        ended.  A one-time schedule that ran is turned off or dropped by the car: windows
        that have ended do not count, and one that has begun may be gone or turned off
        (not changed)."""
        now = dt_util.utcnow()
        pending = [(i, w) for i, w in enumerate(self._plan) if w.end > now]
        if not pending or not self._plan_read:
            return None
        if not self._uses_schedules:
            return self._held_start() == (True, self._start_minutes(self._plan[0]))
        wanted = self._plan_as_schedules(self._plan)
        held = plan_schedules(self._charge_schedules or ())
        known_ids = self._known_plan_ids(self._plan)
        placed = place_plan(wanted, held, known_ids)
        for index, window in pending:
            if index in placed:
                continue
            known = known_ids[index]
            current = held.get(known) if known is not None else None
            ran = current is None or same_times(current, replace(wanted[index], enabled=False))
            if not (window.start <= now and known is not None and ran):
                return False
        return True


def _with_schedule[S: (ChargeSchedule, PreconditionSchedule)](
    schedules: tuple[S, ...] | None, schedule: S
) -> tuple[S, ...]:
    """``schedules`` with ``schedule`` added, or replacing the one with its id."""
    kept: list[S] = [current for current in schedules or () if current.id != schedule.id]
    kept.append(schedule)
    return tuple(kept)
