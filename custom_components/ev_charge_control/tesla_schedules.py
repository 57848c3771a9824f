"""Scheduled charging and departure on Teslas with charge schedules (firmware 2024.26+).

Tesla replaced the car-wide ``set_scheduled_charging`` / ``set_scheduled_departure``
with lists of schedules: charge schedules (start and/or stop charging at times, on
chosen days) and precondition schedules (be warm at a time).  The older commands still
answer "done" on such cars but change nothing, so the integration writes schedules
there instead, and reads the switch's state back from them.

The schedules this integration writes carry fixed ids, so it finds them again without
storing anything.  Tesla's own ids are creation times in seconds since 1970; these lie
in January 2010, before any Tesla had schedules, so they cannot collide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from .api.tesla.models import ChargeSchedule, PreconditionSchedule

SCHEDULE_NAME = "Home Assistant"
CHARGING_SCHEDULE_ID = 1_262_304_001
"""The daily start the scheduled-charging switch and action manage."""
OFF_PEAK_SCHEDULE_ID = 1_262_304_002
"""Off-peak charging of the scheduled-departure action."""
PRECONDITION_SCHEDULE_ID = 1_262_304_003
"""Preconditioning of the scheduled-departure action."""
PLAN_SCHEDULE_IDS = tuple(range(1_262_304_010, 1_262_304_014))
"""The ready-by plan's windows, one one-time schedule each."""

ALL_DAYS = 0b1111111
WEEKDAYS = 0b0111110
# Tesla's bitmask starts the week on Sunday (bit 0); Python's weekday() on Monday.
_BIT_OF_WEEKDAY = (1, 2, 3, 4, 5, 6, 0)


@dataclass(frozen=True, slots=True)
class Home:
    """Where the schedules apply: Tesla ties each one to a location."""

    latitude: float
    longitude: float


def days_mask(weekdays_only: bool) -> int:
    return WEEKDAYS if weekdays_only else ALL_DAYS


def starts_charging(schedule: ChargeSchedule) -> bool:
    return schedule.enabled and schedule.start_enabled


def is_enabled(schedules: Sequence[ChargeSchedule]) -> bool:
    """The switch is on when some schedule will start charging."""
    return any(starts_charging(schedule) for schedule in schedules)


def start_minutes(schedules: Sequence[ChargeSchedule]) -> int | None:
    """The time the switch turns on at: ours, else an enabled one, else any start time."""
    ours = find(schedules, CHARGING_SCHEDULE_ID)
    if ours is not None and ours.start_enabled:
        return ours.start_time
    for wanted in (True, False):
        for schedule in schedules:
            if schedule.start_enabled and schedule.enabled is wanted:
                return schedule.start_time
    return None


def next_start(schedules: Sequence[ChargeSchedule], now: datetime, zone: tzinfo) -> datetime | None:
    """When an enabled schedule next starts charging (the car's time is Home Assistant's)."""
    local = now.astimezone(zone)
    best: datetime | None = None
    for schedule in schedules:
        if not starts_charging(schedule) or not schedule.days_of_week & ALL_DAYS:
            continue
        for days_ahead in range(8):
            day = (local + timedelta(days=days_ahead)).date()
            if not schedule.days_of_week & (1 << _BIT_OF_WEEKDAY[day.weekday()]):
                continue
            hours, minutes = divmod(schedule.start_time, 60)
            moment = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone)
            if moment > local:
                best = moment if best is None or moment < best else best
                break
    return best


def find[S: (ChargeSchedule, PreconditionSchedule)](schedules: Sequence[S], schedule_id: int) -> S | None:
    return next((schedule for schedule in schedules if schedule.id == schedule_id), None)


def daily_start(minutes: int, home: Home) -> ChargeSchedule:
    """Start charging at ``minutes`` every day (what scheduled charging meant before)."""
    return ChargeSchedule(
        id=CHARGING_SCHEDULE_ID,
        name=SCHEDULE_NAME,
        days_of_week=ALL_DAYS,
        start_enabled=True,
        start_time=minutes,
        end_enabled=False,
        end_time=0,
        one_time=False,
        enabled=True,
        latitude=home.latitude,
        longitude=home.longitude,
    )


def off_peak_window(start: int, end: int, weekdays_only: bool, home: Home) -> ChargeSchedule:
    """Charge between the start and the end of off-peak hours."""
    return ChargeSchedule(
        id=OFF_PEAK_SCHEDULE_ID,
        name=SCHEDULE_NAME,
        days_of_week=days_mask(weekdays_only),
        start_enabled=True,
        start_time=start,
        end_enabled=True,
        end_time=end,
        one_time=False,
        enabled=True,
        latitude=home.latitude,
        longitude=home.longitude,
    )


def precondition_at(minutes: int, weekdays_only: bool, home: Home) -> PreconditionSchedule:
    return PreconditionSchedule(
        id=PRECONDITION_SCHEDULE_ID,
        name=SCHEDULE_NAME,
        days_of_week=days_mask(weekdays_only),
        precondition_time=minutes,
        one_time=False,
        enabled=True,
        latitude=home.latitude,
        longitude=home.longitude,
    )


def plan_window(schedule_id: int, start: datetime, end: datetime, home: Home, zone: tzinfo) -> ChargeSchedule:
    """A plan window as a one-time schedule with one of the plan's ids, in the car's
    local time (Home Assistant's).

    The day bit is the start's day; an end at or before the start time is the next day,
    as the car reads it (a window across midnight).  Times are wall-clock times, so a
    window across a change of the clocks is held as its local start and end.  A window
    of a day or more cannot be said with times of day: it is a start only (the car
    charges to its limit, the target)."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    # On the clock, as the car holds it: across a change of the clocks a day may last
    # 23 or 25 hours.
    whole_day = local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None) >= timedelta(days=1)
    return ChargeSchedule(
        id=schedule_id,
        name=SCHEDULE_NAME,
        days_of_week=1 << _BIT_OF_WEEKDAY[local_start.weekday()],
        start_enabled=True,
        start_time=local_start.hour * 60 + local_start.minute,
        end_enabled=not whole_day,
        end_time=0 if whole_day else local_end.hour * 60 + local_end.minute,
        one_time=True,
        enabled=True,
        latitude=home.latitude,
        longitude=home.longitude,
    )


def plan_schedules(schedules: Sequence[ChargeSchedule]) -> dict[int, ChargeSchedule]:
    """The plan's schedules the car holds, by id."""
    return {schedule.id: schedule for schedule in schedules if schedule.id in PLAN_SCHEDULE_IDS}


def place_plan(
    wanted: Sequence[ChargeSchedule], held: dict[int, ChargeSchedule], known: Sequence[int | None]
) -> dict[int, int]:
    """Which of the ``wanted`` schedules (by index) the car holds already, and under
    which plan id: the id it was written with (``known``, by index) if that still has
    its times, else any plan id with its times (after a restart nothing is known)."""
    placed: dict[int, int] = {}
    for index, schedule in enumerate(wanted):
        first = known[index] if index < len(known) else None
        candidates = [first] if first is not None else []
        candidates += [i for i in PLAN_SCHEDULE_IDS if i != first]
        for schedule_id in candidates:
            if schedule_id not in placed.values() and same_times(held.get(schedule_id), schedule):
                placed[index] = schedule_id
                break
    return placed


def same_times(held: ChargeSchedule | None, wanted: ChargeSchedule) -> bool:
    """The car holds ``wanted`` (its copy of the position may be rounded)."""
    return held is not None and (
        held.enabled,
        held.days_of_week,
        held.start_enabled,
        held.start_time,
        held.end_enabled,
        held.end_time,
        held.one_time,
    ) == (
        wanted.enabled,
        wanted.days_of_week,
        wanted.start_enabled,
        wanted.start_time,
        wanted.end_enabled,
        wanted.end_time,
        wanted.one_time,
    )


def disabled[S: (ChargeSchedule, PreconditionSchedule)](schedule: S) -> S:
    """The same schedule, turned off: its times stay for the next time it is turned on."""
    return replace(schedule, enabled=False)
