"""re.alto EVs: readings at the platform's pace, and commands followed until they end.

re.alto runs commands asynchronously (Pending, Triggered, Sent, then Succeeded or
Failed) and allows one command per vehicle every 10 minutes.  So a command's effect is
shown at once as requested, the command is followed every ``FOLLOW_INTERVAL`` until it
ends, and a Failed command puts the switch back to what the car reports, with the
platform's reason on the last-command sensor.  A command inside the cooldown is refused
with the time commands are allowed again, unless the caller chose to ignore it.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any, override

from homeassistant.util import dt as dt_util

from .api import ApiError, CooldownActive, CostCounter
from .api.realto import (
    Command,
    CommandStatus as ApiCommandStatus,
    CommandType,
    Entity,
    Reading,
    RealtoClient,
    ScheduledCommand,
)
from .data import Capability, CommandStatus, EVData
from .vehicle import CommandOutcome, PollResult, Vehicle

# Readings arrive at the manufacturer's cadence (minutes); polling faster buys nothing.
READING_INTERVAL = timedelta(minutes=10)
# While a command runs: often enough to show Succeeded or Failed promptly.
FOLLOW_INTERVAL = timedelta(seconds=30)
COOLDOWN = timedelta(minutes=10)
REALTO_CAPABILITIES = frozenset(
    {
        Capability.CHARGING,
        Capability.CHARGING_WINDOWS,
        Capability.ODOMETER,
        Capability.COMMAND_STATUS,
        Capability.COMMAND_COOLDOWN,
    }
)
_COMMAND_NAMES = {CommandType.START_CHARGING: "start_charging", CommandType.STOP_CHARGING: "stop_charging"}


def command_status(command: Command) -> CommandStatus:
    """A platform command as the last-command sensor shows it."""
    kind = command.type if isinstance(command.type, CommandType) else None
    return CommandStatus(
        command=_COMMAND_NAMES.get(kind, str(command.type)) if kind else str(command.type or "unknown"),
        status=str(command.status or "pending").lower(),
        trigger_time=command.trigger_time,
        error_title=command.error.title if command.error else None,
        error_description=command.error.description if command.error else None,
    )


def reading_to_data(reading: Reading | None, previous: EVData, fetched_at: datetime) -> EVData:
    """The last reading over what was known (a reading may omit any metric)."""
    if reading is None:
        return previous
    level = reading.state_of_charge
    return previous.with_changes(
        updated_at=reading.measured or fetched_at,
        battery_level=round(level) if level is not None else previous.battery_level,
        range_km=reading.range_km if reading.range is not None else previous.range_km,
        charging=reading.is_charging if reading.is_charging is not None else previous.charging,
        plugged_in=reading.is_plugged_in if reading.is_plugged_in is not None else previous.plugged_in,
        odometer_km=reading.odometer_km if reading.odometer is not None else previous.odometer_km,
    )


class RealtoVehicle(Vehicle):
    """An EV on the re.alto platform."""

    capabilities = REALTO_CAPABILITIES

    def __init__(self, client: RealtoClient, entity: Entity) -> None:
        self.client = client
        self.entity_id = entity.id
        self.unique_id = entity.id
        self.name = entity.display_name
        self.manufacturer = entity.brand
        self.model = entity.model
        self.serial_number = entity.vin
        self._following: dict[str, Command] = {}
        self._cooldown_until: datetime | None = None
        # The charging state last asked for, until a reading newer than the command
        # shows the outcome (or the command fails): (command id, wanted, asked at).
        self._intent: tuple[str, bool, datetime] | None = None

    @property
    @override
    def costs(self) -> CostCounter:
        return self.client.costs.for_vehicle(self.entity_id)

    @override
    def diagnostics(self) -> dict[str, Any]:
        return {
            "following": [command_status(c).status for c in self._following.values()],
            "cooldown_until": self._cooldown_until.isoformat() if self._cooldown_until else None,
        }

    # ------------------------------------------------------------------ polling
    @override
    async def async_poll(self, previous: EVData | None) -> PollResult:
        now = dt_util.utcnow()
        reading = await self.client.last_reading(self.entity_id)
        data = reading_to_data(reading, previous or EVData(), now)
        data = await self._follow_commands(data, now)
        data = self._apply_intent(data, reading)
        return PollResult(data, self._next_poll(now))

    async def _follow_commands(self, data: EVData, now: datetime) -> EVData:
        last = data.last_command
        for command_id, known in list(self._following.items()):
            if known.trigger_time is not None and known.trigger_time > now:
                continue  # scheduled for later: nothing to learn yet
            command = await self.client.command(self.entity_id, command_id)
            if command.is_final:
                del self._following[command_id]
            else:
                self._following[command_id] = command
            if (
                self._intent is not None
                and self._intent[0] == command_id
                and command.status
                in (
                    ApiCommandStatus.FAILED,
                    ApiCommandStatus.CANCELED,
                )
            ):
                self._intent = None  # it did not happen: show what the car reports
            last = command_status(command)
        return data.with_changes(last_command=last, cooldown_until=self._cooldown_until)

    def _apply_intent(self, data: EVData, reading: Reading | None) -> EVData:
        if self._intent is None:
            return data
        command_id, wanted, asked_at = self._intent
        measured = reading.measured if reading is not None else None
        if measured is not None and measured > asked_at and command_id not in self._following:
            self._intent = None  # the command ended and a later reading tells the truth
            return data
        return data.with_changes(charging=wanted)

    def _next_poll(self, now: datetime) -> timedelta:
        due = [c.trigger_time or now for c in self._following.values()]
        if not due:
            return READING_INTERVAL
        soonest = min(due)
        if soonest <= now:
            return FOLLOW_INTERVAL
        return min(READING_INTERVAL, soonest - now + FOLLOW_INTERVAL)

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
        if not command.is_final:
            self._following[command.id] = command
        return command_status(command)

    async def _trigger(self, kind: CommandType, charging: bool, ignore_cooldown: bool) -> CommandOutcome:
        self._check_cooldown(ignore_cooldown)
        try:
            command = await self.client.trigger_command(self.entity_id, kind, ignore_cooldown=ignore_cooldown)
        except CooldownActive as err:
            self._cooldown_until = err.allowed_at
            raise
        status = self._track(command)
        changes: dict[str, Any] = {"last_command": status, "cooldown_until": self._cooldown_until}
        if command.status not in (ApiCommandStatus.FAILED, ApiCommandStatus.CANCELED):
            # Shown as requested until the command ends and a reading confirms it.
            self._intent = (command.id, charging, command.trigger_time or dt_util.utcnow())
            changes["charging"] = charging
        return CommandOutcome(changes, confirm=True)

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
        self._check_cooldown(ignore_cooldown, at=start)
        try:
            batch = await self.client.schedule_commands(
                self.entity_id,
                [
                    ScheduledCommand(trigger_time=start, type=CommandType.START_CHARGING),
                    ScheduledCommand(trigger_time=end, type=CommandType.STOP_CHARGING),
                ],
                ignore_cooldown=ignore_cooldown,
            )
        except CooldownActive:
            # The platform may fail one command of the window and keep the other; a
            # stray stop (or start) would later cut into a window scheduled again.
            with contextlib.suppress(ApiError):  # the refusal is what the user must see
                await self._cancel_pending(at={start, end})
            raise
        # A window's commands run later, and the platform's cooldown lies around each
        # one's own time: counting them here refused every command, and the next
        # window, until the window had ended. The platform still refuses one too close.
        statuses = [self._track(command, cooldown=False) for command in batch.commands]
        changes: dict[str, Any] = {"cooldown_until": self._cooldown_until}
        if statuses:
            changes["last_command"] = statuses[0]
        return CommandOutcome(changes)

    @override
    async def async_cancel_scheduled_charging(self, *, ignore_cooldown: bool) -> CommandOutcome:
        # Cancelling sends nothing to the car, so the cooldown does not apply to it.
        last = await self._cancel_pending()
        return CommandOutcome({"last_command": last} if last else {})

    async def _cancel_pending(self, at: set[datetime] | None = None) -> CommandStatus | None:
        """Cancel the car's commands still waiting for a future time (only at ``at``,
        if given); returns the last one's new status."""
        now = dt_util.utcnow()
        # The platform keeps trigger times to the second.
        times = None if at is None else {moment.replace(microsecond=0) for moment in at}
        last: CommandStatus | None = None
        for command in await self.client.list_commands(self.entity_id, now - COOLDOWN):
            when = command.trigger_time
            waiting = command.status is ApiCommandStatus.PENDING and when is not None and when > now
            if waiting and (times is None or (when is not None and when.replace(microsecond=0) in times)):
                canceled = await self.client.cancel_command(self.entity_id, command.id)
                self._following.pop(command.id, None)
                last = command_status(canceled)
        return last
