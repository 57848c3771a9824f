"""Charge and precondition schedules, the model of firmware 2024.26 and later.

From 2024.26 Tesla recommends ``add_charge_schedule`` and ``add_precondition_schedule``
over ``set_scheduled_charging``/``set_scheduled_departure`` (reference anchors rows 15
and 16).  A schedule names days (a bitmask: Sunday 1, Monday 2 ... Saturday 64) and
minutes after local midnight; an end at or before the start falls on the next day.

Here only charge schedules act: at an enabled schedule's start a plugged-in car below
its limit starts charging, at its end a charging car stops, and a one-time schedule
turns itself off after its last boundary.  The location is ignored and precondition
schedules are only stored (both invented; see the README).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
import struct
from typing import Any
from zoneinfo import ZoneInfo

SCHEDULES_SINCE = (2024, 26)
DEFAULT_FIRMWARE = "2023.44.30.8 06f534d46010"  # the Home Assistant fixture's car_version
MAX_SCHEDULES = 100
EPS = 1e-6


def firmware_version(car_version: str) -> tuple[int, ...]:
    """``"2024.26.3 abc123"`` -> ``(2024, 26, 3)``; ``ValueError`` when it reads otherwise."""
    first = car_version.split(maxsplit=1)[0] if car_version.split() else ""
    try:
        version = tuple(int(part) for part in first.split("."))
    except ValueError:
        version = ()
    if len(version) < 2:
        raise ValueError(f"firmware {car_version!r} is not like '2024.26.3 4c5ad9d1b3a0'")
    return version


def uses_charge_schedules(car_version: str) -> bool:
    return firmware_version(car_version)[:2] >= SCHEDULES_SINCE


def float32(value: float) -> float:
    """What a car that stores a protobuf ``float`` reports back."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def day_bit(day: date) -> int:
    """The day's bit in ``days_of_week``: Sunday 1, Monday 2 ... Saturday 64."""
    return 1 << ((day.weekday() + 1) % 7)


@dataclass
class ChargeSchedule:
    id: int
    name: str
    days_of_week: int
    start_enabled: bool
    start_time: int
    end_enabled: bool
    end_time: int
    one_time: bool
    enabled: bool
    latitude: float
    longitude: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def overnight(self) -> bool:
        return self.start_enabled and self.end_time <= self.start_time


@dataclass
class PreconditionSchedule:
    id: int
    name: str
    days_of_week: int
    precondition_time: int
    one_time: bool
    enabled: bool
    latitude: float
    longitude: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def charge_schedule(params: dict[str, Any], schedule_id: int) -> ChargeSchedule:
    return ChargeSchedule(
        id=schedule_id,
        name=str(params.get("name", "")),
        days_of_week=int(params["days_of_week"]),
        start_enabled=bool(params["start_enabled"]),
        start_time=int(params.get("start_time", 0)),
        end_enabled=bool(params["end_enabled"]),
        end_time=int(params.get("end_time", 0)),
        one_time=bool(params.get("one_time", False)),
        enabled=bool(params["enabled"]),
        latitude=float32(params["lat"]),
        longitude=float32(params["lon"]),
    )


def precondition_schedule(params: dict[str, Any], schedule_id: int) -> PreconditionSchedule:
    return PreconditionSchedule(
        id=schedule_id,
        name=str(params.get("name", "")),
        days_of_week=int(params["days_of_week"]),
        precondition_time=int(params["precondition_time"]),
        one_time=bool(params.get("one_time", False)),
        enabled=bool(params["enabled"]),
        latitude=float32(params["lat"]),
        longitude=float32(params["lon"]),
    )


def new_schedule_id(now: float, taken: Iterable[int]) -> int:
    """Tesla's clients use the current Unix time; two in one second get the next free one."""
    used = set(taken)
    candidate = int(now)
    while candidate in used:
        candidate += 1
    return candidate


def _local_moment(day: date, minutes: int, tz: ZoneInfo) -> float:
    moment = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=tz)
    return moment.timestamp()


def _boundaries(schedule: ChargeSchedule, after: float, tz: ZoneInfo) -> list[tuple[float, str]]:
    """The schedule's next start and next end strictly after ``after``."""
    found: list[tuple[float, str]] = []
    if not schedule.enabled or not schedule.days_of_week & 127:
        return found
    today = datetime.fromtimestamp(after, tz).date()
    wanted = [("start", schedule.start_time, 0)] if schedule.start_enabled else []
    if schedule.end_enabled:
        # An overnight end belongs to the day the charging started.
        wanted.append(("end", schedule.end_time, 1 if schedule.overnight else 0))
    for kind, minutes, lag in wanted:
        for offset in range(-1, 9):
            day = today + timedelta(days=offset)
            moment = _local_moment(day, minutes, tz)
            if moment > after + EPS and schedule.days_of_week & day_bit(day - timedelta(days=lag)):
                found.append((moment, kind))
                break
    return found


def next_boundary(schedules: Iterable[ChargeSchedule], after: float, tz: ZoneInfo) -> float | None:
    """When the next schedule starts or ends, strictly after ``after``."""
    times = [moment for schedule in schedules for moment, _ in _boundaries(schedule, after, tz)]
    return min(times) if times else None


def due(schedules: Iterable[ChargeSchedule], at: float, tz: ZoneInfo) -> list[tuple[str, ChargeSchedule]]:
    """The starts and ends that fall at ``at`` (ends first), found from just before it."""
    hits = [
        (kind, schedule)
        for schedule in schedules
        for moment, kind in _boundaries(schedule, at - 1.0, tz)
        if abs(moment - at) < EPS
    ]
    return sorted(hits, key=lambda hit: hit[0] != "end")
