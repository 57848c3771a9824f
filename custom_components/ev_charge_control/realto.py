"""re.alto EVs: readings at the platform's pace, and commands followed until they end.

re.alto runs commands asynchronously (Pending, Triggered, Sent, then Succeeded or
Failed) and allows one command per vehicle every 10 minutes.  So a command's effect is
shown at once as requested, the command is followed until it ends (every
``FOLLOW_INTERVAL`` at first, less often the longer it runs, and for at most
``FOLLOW_DEADLINE``), and a Failed command puts the switch back to what the car
reports, with the platform's reason on the last-command sensor.  A command inside the
cooldown is refused with the time commands are allowed again, unless the caller chose
to ignore it.

A command whose answer was lost (a timeout, a dropped connection, a 5xx, an answer
without an id) may still have been created: it is looked up on the platform and
followed if it is there, never sent again.  Commands are canceled by id only: another
window's commands may share a trigger time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
from typing import Any, ClassVar, override

from homeassistant.util import dt as dt_util

from .api import (
    OUTCOME_UNKNOWN,
    ApiError,
    AuthenticationError,
    CooldownActive,
    CostCounter,
    InvalidArgument,
    MissingScope,
    NotFound,
    RateLimited,
)
from .api.realto import (
    Command,
    CommandStatus as ApiCommandStatus,
    CommandType,
    CooldownFailedCommands,
    Entity,
    Reading,
    RealtoClient,
    ScheduledCommand,
)
from .const import LOGGER
from .data import Capability, CommandStatus, EVData
from .vehicle import ChargeWindow, CommandOutcome, PlanLimits, PollResult, Vehicle

# Readings arrive at the manufacturer's cadence (minutes); polling faster buys nothing.
READING_INTERVAL = timedelta(minutes=10)
# While a command runs: often enough to show Succeeded or Failed promptly; a command
# that takes its time is asked about less often (running for, then interval).
FOLLOW_INTERVAL = timedelta(seconds=30)
FOLLOW_BACKOFF = (
    (timedelta(minutes=2), FOLLOW_INTERVAL),
    (timedelta(minutes=10), timedelta(minutes=2)),
)
SLOW_FOLLOW_INTERVAL = timedelta(minutes=5)
# A command still running this long after its trigger time is given up on: the
# entities show what the car reports, the last-command sensor "timed_out".
FOLLOW_DEADLINE = timedelta(minutes=30)
# A command whose answer was lost is looked for from this long before it was sent
# (the platform's clock may differ from ours).
LOOKUP_SLACK = timedelta(minutes=1)
COOLDOWN = timedelta(minutes=10)
PLAN_START_SLACK = timedelta(minutes=1)
"""A plan window that begins within this (or has begun) is held as its stop only: the
platform takes only future times, and whoever writes the plan starts charging now (the
planner does, as for a Tesla whose start time has passed).  A start a minute ahead
would also put the platform's cooldown between it and that start."""
TIMED_OUT = "timed_out"
UNKNOWN = "unknown"
REALTO_CAPABILITIES = frozenset(
    {
        Capability.CHARGING,
        # Readings carry isCharging; the switch shows the command's intent until one
        # newer than the command confirms it, the measured sensor only the readings.
        Capability.MEASURED_CHARGING,
        Capability.CHARGING_WINDOWS,
        Capability.ODOMETER,
        Capability.COMMAND_STATUS,
        Capability.COMMAND_COOLDOWN,
        Capability.CHARGE_PLAN,
    }
)
PLAN_LIMITS = PlanLimits(max_windows=3, min_gap=COOLDOWN)
"""Each window is a start and a stop command; the platform's cooldown lies between any
two of them, so windows (and a window's start and end) are at least that far apart."""
_COMMAND_NAMES = {CommandType.START_CHARGING: "start_charging", CommandType.STOP_CHARGING: "stop_charging"}
_KNOWN_STATUSES = {status.value.lower() for status in ApiCommandStatus}


def command_status(command: Command) -> CommandStatus:
    """A platform command as the last-command sensor shows it.

    A status the platform added later (``Queued``...) is not final, so it shows as
    pending, with the platform's word kept in ``platform_status``.
    """
    kind = command.type if isinstance(command.type, CommandType) else None
    raw = str(command.status or "pending")
    status = raw.lower()
    return CommandStatus(
        command=_COMMAND_NAMES.get(kind, str(command.type)) if kind else str(command.type or "unknown"),
        status=status if status in _KNOWN_STATUSES else "pending",
        trigger_time=command.trigger_time,
        error_title=command.error.title if command.error else None,
        error_description=command.error.description if command.error else None,
        platform_status=None if status in _KNOWN_STATUSES else raw,
    )


def _number(value: float | None, low: float = -math.inf, high: float = math.inf) -> float | None:
    """A finite value within bounds, else ``None`` (unknown)."""
    if value is None or not math.isfinite(value) or not low <= value <= high:
        return None
    return value


def reading_to_data(reading: Reading | None, previous: EVData, fetched_at: datetime) -> EVData:
    """The last reading over what was known (a reading may omit any metric).

    A metric the reading has but that makes no sense (a charge above 100 %, a negative
    range) reads as unknown; the other metrics are read all the same.
    """
    if reading is None:
        return previous
    location = reading.location
    if reading.state_of_charge is None:
        battery_level = previous.battery_level
    else:
        level = _number(reading.state_of_charge, 0, 100)
        battery_level = round(level) if level is not None else None
    return replace(
        previous,
        updated_at=reading.measured or fetched_at,
        battery_level=battery_level,
        range_km=_number(reading.range_km, 0) if reading.range is not None else previous.range_km,
        charging=reading.is_charging if reading.is_charging is not None else previous.charging,
        charging_measured=(
            reading.is_charging if reading.is_charging is not None else previous.charging_measured
        ),
        plugged_in=reading.is_plugged_in if reading.is_plugged_in is not None else previous.plugged_in,
        odometer_km=_number(reading.odometer_km, 0) if reading.odometer is not None else previous.odometer_km,
        # Not kept from an earlier reading, unlike the other metrics: the car may have
        # moved since, and a stale place would decide where a session charged.
        latitude=_number(location.latitude, -90, 90) if location is not None else None,
        longitude=_number(location.longitude, -180, 180) if location is not None else None,
        location_labels=reading.location_labels,
        energy_meter_kwh=(
            reading.energy_meter_kwh if reading.energy_meter_kwh is not None else previous.energy_meter_kwh
        ),
    )


def _second(moment: datetime) -> datetime:
    """The platform keeps trigger times to the second."""
    return moment.replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class _Followed:
    """A command being followed, and since when it should be running."""

    command: Command
    due: datetime


class RealtoVehicle(Vehicle):
    """An EV on the re.alto platform."""

    capabilities = REALTO_CAPABILITIES
    refusals: ClassVar[Mapping[str, str]] = {"VehicleNotPluggedIn": "refused_disconnected"}

    def __init__(self, client: RealtoClient, entity: Entity) -> None:
        self.client = client
        self.entity_id = entity.id
        self.unique_id = entity.id
        self.name = entity.display_name
        self.manufacturer = entity.brand
        self.model = entity.model
        self.serial_number = entity.vin
        self._following: dict[str, _Followed] = {}
        # Commands this vehicle created or followed lately: a lost answer's lookup
        # must not take one of them for the command it looks for.
        self._known: deque[str] = deque(maxlen=64)
        self._cooldown_until: datetime | None = None
        # The charging state last asked for, until a reading newer than the command
        # shows the outcome (or the command fails): (command id, wanted, asked at).
        self._intent: tuple[str, bool, datetime] | None = None
        # The ready-by plan written last, its commands by id, and whether one of them
        # was cancelled or failed since (in the re.alto app, or by the platform).
        self._plan: tuple[ChargeWindow, ...] = ()
        self._plan_commands: set[str] = set()
        self._window_commands: dict[ChargeWindow, frozenset[str]] = {}
        """Each plan window's commands by id; a window restored after a restart has
        none here and is found by its times."""
        self._plan_broken = False
        self._plan_read = False

    @property
    @override
    def costs(self) -> CostCounter:
        return self.client.costs.for_vehicle(self.entity_id)

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {
            "following": [command_status(f.command).status for f in self._following.values()],
            "cooldown_until": self._cooldown_until.isoformat() if self._cooldown_until else None,
        }

    # ------------------------------------------------------------------ polling
    @override
    async def async_poll(self, previous: EVData | None) -> PollResult:
        now = dt_util.utcnow()
        reading = await self.client.last_reading(self.entity_id)
        data = reading_to_data(reading, previous or EVData(), now)
        if data.energy_meter_kwh is not None and Capability.CHARGE_ENERGY not in self.capabilities:
            # Not every car on the platform reports a meter: the one that does gets the
            # "energy charged at home" sensor from the reading that shows it.
            self.capabilities = self.capabilities | {Capability.CHARGE_ENERGY}
        data = await self._follow_commands(data, now)
        data = self._apply_intent(data, reading)
        self._plan_read = True
        return PollResult(data, self._next_poll(now))

    async def _follow_commands(self, data: EVData, now: datetime) -> EVData:
        """Each command due by now, asked about once; one that cannot be read now is
        asked again next time, and the reading stands."""
        last = data.last_command
        for command_id, followed in list(self._following.items()):
            if followed.due > now:
                continue  # scheduled for later: nothing to learn yet
            try:
                command = await self.client.command(self.entity_id, command_id)
            except (NotFound, InvalidArgument):
                # The platform no longer knows it: asking again would fail for good.
                del self._following[command_id]
                self._drop_intent(command_id)
                last = replace(command_status(followed.command), status=UNKNOWN)
                continue
            except (AuthenticationError, MissingScope, RateLimited):
                raise  # sign in again, or wait as the platform asks: the poll's to handle
            except ApiError as err:
                LOGGER.debug("%s: command %s not readable now: %s", self.name, command_id, err)
                command = followed.command
            if command.is_final:
                del self._following[command_id]
                if command.status in (ApiCommandStatus.FAILED, ApiCommandStatus.CANCELED):
                    self._drop_intent(command_id)  # it did not happen: show what the car reports
                    if command_id in self._plan_commands and command.status is ApiCommandStatus.CANCELED:
                        # Cancelled by someone else (ours leave this list first); a
                        # failure is the car's, for the watchdog's other checks.
                        self._plan_broken = True
            elif now - followed.due >= FOLLOW_DEADLINE:
                del self._following[command_id]
                self._drop_intent(command_id)
                last = replace(command_status(command), status=TIMED_OUT)
                continue
            else:
                self._following[command_id] = replace(followed, command=command)
            last = command_status(command)
        return replace(data, last_command=last, cooldown_until=self._cooldown_until)

    def _drop_intent(self, command_id: str) -> None:
        if self._intent is not None and self._intent[0] == command_id:
            self._intent = None

    def _apply_intent(self, data: EVData, reading: Reading | None) -> EVData:
        if self._intent is None:
            return data
        command_id, wanted, asked_at = self._intent
        measured = reading.measured if reading is not None else None
        if measured is not None and measured > asked_at and command_id not in self._following:
            self._intent = None  # the command ended and a later reading tells the truth
            return data
        return replace(data, charging=wanted)

    def _next_poll(self, now: datetime) -> timedelta:
        due = [f.due for f in self._following.values()]
        if not due:
            return READING_INTERVAL
        running = [moment for moment in due if moment <= now]
        if running:
            # The newest command sets the pace: it has the most to show soon.
            running_for = now - max(running)
            for limit, interval in FOLLOW_BACKOFF:
                if running_for < limit:
                    return interval
            return SLOW_FOLLOW_INTERVAL
        return min(READING_INTERVAL, min(due) - now + FOLLOW_INTERVAL)

    # ----------------------------------------------------------------- commands
    def _check_cooldown(self, ignore: bool, at: datetime | None = None) -> None:
        """Refuse a command for ``at`` (now) that the last command's cooldown covers."""
        moment = at or dt_util.utcnow()
        if not ignore and self._cooldown_until is not None and self._cooldown_until > moment:
            raise CooldownActive("the vehicle's command cooldown is running", allowed_at=self._cooldown_until)

    def _track(self, command: Command, *, cooldown: bool = True) -> CommandStatus:
        started = command.trigger_time or dt_util.utcnow()
        if cooldown:
            self._cooldown_until = max(self._cooldown_until or started, started + COOLDOWN)
        if command.id not in self._known:
            self._known.append(command.id)
        if not command.is_final:
            self._following[command.id] = _Followed(command, started)
        return command_status(command)

    async def _look_up(
        self, lost: ApiError, since: datetime, wanted: Callable[[Command], bool]
    ) -> list[Command]:
        """The commands a request whose answer was ``lost`` may have created.

        Those ``wanted`` from ``since`` on that this vehicle does not know yet, oldest
        first. Raises ``lost`` when the platform cannot be asked.
        """
        try:
            commands = await self.client.list_commands(self.entity_id, since - LOOKUP_SLACK)
        except ApiError:
            raise lost from None
        return [c for c in commands if c.id and c.id not in self._known and wanted(c)]

    async def _trigger(self, kind: CommandType, charging: bool, ignore_cooldown: bool) -> CommandOutcome:
        self._check_cooldown(ignore_cooldown)
        sent_at = dt_util.utcnow()
        try:
            command = await self.client.trigger_command(self.entity_id, kind, ignore_cooldown=ignore_cooldown)
        except CooldownActive as err:
            self._cooldown_until = err.allowed_at
            raise
        except OUTCOME_UNKNOWN as err:
            # The platform may have created it: follow it if so, never send it twice.
            found = await self._look_up(err, sent_at, lambda c: c.type == kind)
            if not found:
                raise
            command = found[-1]
            LOGGER.debug("%s: the answer to %s was lost; found command %s", self.name, kind, command.id)
        status = self._track(command)
        cooldown_until = self._cooldown_until
        if command.status in (ApiCommandStatus.FAILED, ApiCommandStatus.CANCELED):
            return CommandOutcome(
                lambda d: replace(d, last_command=status, cooldown_until=cooldown_until), confirm=True
            )
        # Shown as requested until the command ends and a reading confirms it.
        self._intent = (command.id, charging, command.trigger_time or dt_util.utcnow())
        return CommandOutcome(
            lambda d: replace(d, last_command=status, cooldown_until=cooldown_until, charging=charging),
            confirm=True,
        )

    @override
    async def async_start_charging(self) -> CommandOutcome:
        return await self._trigger(CommandType.START_CHARGING, True, False)

    @override
    async def async_stop_charging(self) -> CommandOutcome:
        return await self._trigger(CommandType.STOP_CHARGING, False, False)

    @override
    async def async_schedule_charging(
        self, start: datetime, end: datetime, *, ignore_cooldown: bool
    ) -> CommandOutcome:
        statuses = [command_status(c) for c in await self._schedule_window(start, end, ignore_cooldown)]
        cooldown_until = self._cooldown_until
        first = statuses[0] if statuses else None
        return CommandOutcome(
            lambda d: replace(d, cooldown_until=cooldown_until, last_command=first or d.last_command)
        )

    async def _schedule_window(
        self, start: datetime | None, end: datetime, ignore_cooldown: bool
    ) -> list[Command]:
        """A start at ``start`` (``None``: a stop only) and a stop at ``end``; the
        commands that stand for them."""
        asked = {CommandType.STOP_CHARGING: _second(end)}
        if start is not None:
            asked = {CommandType.START_CHARGING: _second(start), **asked}
        self._check_cooldown(ignore_cooldown, at=min(asked.values()))
        try:
            batch = await self.client.schedule_commands(
                self.entity_id,
                [ScheduledCommand(trigger_time=moment, type=kind) for kind, moment in asked.items()],
                ignore_cooldown=ignore_cooldown,
            )
        except CooldownActive as err:
            # Refused outright, the platform created nothing: nothing to cancel. Failed
            # in part, it keeps the rest, which would cut into a window scheduled
            # again: those commands, by id, and no other window's.
            if isinstance(err, CooldownFailedCommands):
                await self._cancel(c for c in err.commands if not c.is_final)
            # Asked twice (an automation that runs again): the window stands already.
            commands = await self._standing_window(asked)
            if commands is None:
                raise
        except OUTCOME_UNKNOWN as err:
            found = await self._look_up(err, min(asked.values()), lambda c: _in_window(c, asked))
            if {c.type for c in found if c.status is not ApiCommandStatus.FAILED} != set(asked):
                await self._cancel(c for c in found if not c.is_final)  # half a window
                raise
            commands = found
        else:
            commands = list(batch.commands)
            moved = not all(_in_window(c, asked) for c in commands)
            standing = await self._standing_window(asked) if moved else None
            if standing is not None:
                # Deferred by the cooldown of the same window, scheduled before.
                await self._cancel(c for c in commands if not c.is_final)
                commands = standing
        # A window's commands run later, and the platform's cooldown lies around each
        # one's own time: counting them here refused every command, and the next
        # window, until the window had ended. The platform still refuses one too close.
        for command in commands:
            self._track(command, cooldown=False)
        return commands

    async def _standing_window(self, asked: dict[CommandType, datetime]) -> list[Command] | None:
        """The window's start and stop if they are on the platform already, waiting."""
        try:
            commands = await self.client.list_commands(self.entity_id, min(asked.values()))
        except ApiError:
            return None
        waiting = {
            c.type: c for c in commands if c.status is ApiCommandStatus.PENDING and _in_window(c, asked)
        }
        if set(waiting) != set(asked):
            return None
        return [waiting[kind] for kind in asked]

    async def _cancel(self, commands: Iterable[Command]) -> None:
        """Cancel these commands (by id); the error that brought us here is what counts."""
        for command in commands:
            with contextlib.suppress(ApiError):
                await self.client.cancel_command(self.entity_id, command.id)
            self._following.pop(command.id, None)

    @override
    async def async_cancel_scheduled_charging(self) -> CommandOutcome:
        # Cancelling sends nothing to the car, so the cooldown does not apply to it.
        last = await self._cancel_pending()
        return CommandOutcome((lambda d: replace(d, last_command=last)) if last else None)

    async def _cancel_pending(self) -> CommandStatus | None:
        """Cancel the car's commands still waiting for a future time; returns the last
        one's new status."""
        now = dt_util.utcnow()
        last: CommandStatus | None = None
        for command in await self.client.list_commands(self.entity_id, now - COOLDOWN):
            when = command.trigger_time
            if command.status is ApiCommandStatus.PENDING and when is not None and when > now:
                try:
                    canceled = await self.client.cancel_command(self.entity_id, command.id)
                except OUTCOME_UNKNOWN as err:
                    canceled = await self._recheck_canceled(err, command.id)
                self._following.pop(command.id, None)
                last = command_status(canceled)
        return last

    async def _recheck_canceled(self, lost: ApiError, command_id: str) -> Command:
        """A cancel whose answer was lost: canceled all the same, or ``lost`` is raised."""
        try:
            command = await self.client.command(self.entity_id, command_id)
        except ApiError:
            raise lost from None
        if command.status is not ApiCommandStatus.CANCELED:
            raise lost
        return command

    # ------------------------------------------------------------ ready-by plan
    @property
    @override
    def plan_limits(self) -> PlanLimits:
        return PLAN_LIMITS

    @override
    async def async_write_charge_plan(self, windows: Sequence[ChargeWindow]) -> CommandOutcome:
        """Each window a start and a stop command, scheduled as the user's windows are.

        Windows the platform still holds stay as they are (nothing is sent for a plan
        held already); the plan's others are cancelled by id (a window restored after a
        restart: by its times), so the user's own windows stay; then the new ones are
        scheduled.  A window that begins within ``PLAN_START_SLACK`` gets its stop only.
        The plan's commands are not sent past the cooldown: the planner keeps them
        ``min_gap`` apart, the ones replaced are cancelled first (a cancelled command
        holds no cooldown), and scheduled commands never count for our own check.
        """
        now = dt_util.utcnow()
        horizon = now + PLAN_START_SLACK
        wanted = tuple(ChargeWindow(_second(w.start), _second(w.end)) for w in windows if w.end > horizon)
        held = tuple(w for w in self._plan if w.end > now)
        if not self._plan_broken and _same_plan(held, wanted, horizon):
            return CommandOutcome()
        waiting = await self._plan_commands_waiting(held, now)
        kept: dict[int, ChargeWindow] = {}
        for index, window in enumerate(wanted):
            standing = next(
                (
                    old
                    for old in held
                    if old not in kept.values()
                    and _same_window(old, window, horizon)
                    and _stands(old, waiting[old], now)
                ),
                None,
            )
            if standing is not None:
                kept[index] = standing
        for old in held:
            if old not in kept.values():
                await self._cancel(waiting[old])
                self._plan_commands.difference_update(c.id for c in waiting[old])
        plan: list[ChargeWindow] = []
        commands_of: dict[ChargeWindow, frozenset[str]] = {}
        try:
            for index, window in enumerate(wanted):
                if index in kept:
                    old = kept[index]
                    commands_of[old] = frozenset(c.id for c in waiting[old])
                    plan.append(old)
                    continue
                start = window.start if window.start > horizon else None
                commands = await self._schedule_window(start, window.end, False)
                commands_of[window] = frozenset(c.id for c in commands)
                self._plan_commands.update(commands_of[window])
                plan.append(window)
        finally:
            # What the platform holds now, also when a window was refused part way.
            self._plan = tuple(plan)
            self._window_commands = commands_of
            self._plan_read = False
        self._plan_broken = False
        cooldown_until = self._cooldown_until
        return CommandOutcome(lambda d: replace(d, cooldown_until=cooldown_until))

    async def _plan_commands_waiting(
        self, windows: Sequence[ChargeWindow], now: datetime
    ) -> dict[ChargeWindow, list[Command]]:
        """Each plan window's commands still waiting for their time, as the platform has
        them: by id, or for a window restored after a restart, by its times."""
        if not windows:
            return {}
        waiting = [
            c
            for c in await self.client.list_commands(self.entity_id, now)
            if c.status is ApiCommandStatus.PENDING
            and c.trigger_time is not None
            and c.trigger_time > now
            and c.type in (CommandType.START_CHARGING, CommandType.STOP_CHARGING)
        ]
        found: dict[ChargeWindow, list[Command]] = {}
        taken: set[str] = set()
        for window in windows:
            ids = self._window_commands.get(window)
            if ids is not None:
                mine = [c for c in waiting if c.id in ids]
            else:
                times = {CommandType.START_CHARGING: window.start, CommandType.STOP_CHARGING: window.end}
                mine = [c for c in waiting if c.id not in taken and _in_window(c, times)]
            taken.update(c.id for c in mine)
            found[window] = mine
        return found

    @override
    def restore_charge_plan(self, windows: Sequence[ChargeWindow]) -> None:
        self._plan = tuple(windows)
        self._window_commands = {}  # found again by their times

    @override
    def charge_plan_intact(self) -> bool | None:
        if not any(w.end > dt_util.utcnow() for w in self._plan) or not self._plan_read:
            return None
        return not self._plan_broken


def _same_window(old: ChargeWindow, new: ChargeWindow, horizon: datetime) -> bool:
    """``old`` stands for ``new``: the same window, where one that has begun (or begins
    before ``horizon``) counts as the same as one that ends alike and begins now (a plan
    made a minute later starts its running window a minute later)."""
    if _second(old.end) != _second(new.end):
        return False
    return _second(old.start) == _second(new.start) or (old.start <= horizon and new.start <= horizon)


def _same_plan(held: Sequence[ChargeWindow], wanted: Sequence[ChargeWindow], horizon: datetime) -> bool:
    return len(held) == len(wanted) and all(
        _same_window(old, new, horizon) for old, new in zip(held, wanted, strict=True)
    )


def _stands(window: ChargeWindow, waiting: Sequence[Command], now: datetime) -> bool:
    """The platform still holds what is left of the window: its stop, and its start
    if that is still to come (else it was cancelled or failed elsewhere)."""
    needed = {CommandType.STOP_CHARGING}
    if window.start > now:
        needed.add(CommandType.START_CHARGING)
    return needed <= {c.type for c in waiting}


def _in_window(command: Command, asked: Mapping[CommandType, datetime]) -> bool:
    """Whether ``command`` is the window's start or stop, at its time."""
    wanted = asked.get(command.type) if isinstance(command.type, CommandType) else None
    return wanted is not None and command.trigger_time is not None and _second(command.trigger_time) == wanted
