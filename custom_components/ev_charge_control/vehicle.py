"""The interface every provider's vehicle implements for the coordinator and entities."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from .api import ApiError, CostCounter
from .data import Capability, EVData


@dataclass(frozen=True, slots=True)
class PollResult:
    """A poll's outcome: the data, and when the next poll should run."""

    data: EVData
    next_poll: timedelta


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What a command changed, known from the API's reply, and whether to re-check.

    ``changes`` is applied to the vehicle's data at once, so the entity shows the
    requested state without waiting for a poll; build it with ``dataclasses.replace``
    (``lambda data: replace(data, charge_limit=percent)``) so that mypy checks the
    field names and types.  ``None``: the reply changes nothing that is shown.
    ``confirm`` asks for a refresh shortly after, for commands whose reply does not
    settle the result (charging may still fail to start; an asynchronous command is
    still running).
    """

    changes: Callable[[EVData], EVData] | None = None
    confirm: bool = False


@dataclass(frozen=True, slots=True)
class DepartureSettings:
    """Arguments of Tesla's set_scheduled_departure, times in minutes after midnight."""

    enable: bool
    departure_time: int
    preconditioning_enabled: bool = False
    preconditioning_weekdays_only: bool = False
    off_peak_charging_enabled: bool = False
    off_peak_charging_weekdays_only: bool = False
    end_off_peak_time: int = 0
    off_peak_start_time: int | None = None
    """When off-peak hours begin: cars with charge schedules need it to charge only
    then; older cars choose the start themselves and ignore it."""


@dataclass(frozen=True, slots=True)
class ChargeWindow:
    """Charge from ``start`` to ``end`` (aware datetimes)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """How a car can hold a ready-by plan; the planner only makes plans that fit."""

    max_windows: int
    """At most this many separate charging windows."""
    min_gap: timedelta = timedelta(0)
    """Windows (and a window's start and end) closer than this are merged: re.alto's
    per-vehicle cooldown lies between any two commands."""
    ends_at_limit: bool = False
    """The car holds a start time only and charges until its charge limit (Tesla's
    scheduled charging before charge schedules): one window, its end only expected."""


class Refusal(Exception):
    """A command that cannot apply to this car as asked; nothing was sent.

    Raised by vehicles for input only the car's kind can judge (what its firmware
    supports); shown to the user as a translated validation error.
    """

    def __init__(self, translation_key: str, **placeholders: str) -> None:
        super().__init__(translation_key)
        self.translation_key = translation_key
        self.placeholders = placeholders


class Vehicle(ABC):
    """One car behind one provider's API.

    Subclasses implement what their ``capabilities`` promise; entities and actions are
    only created for those, so the remaining methods are never called.
    """

    unique_id: str
    name: str
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    capabilities: frozenset[Capability] = frozenset()
    refusals: ClassVar[Mapping[str, str]] = {}
    """Refusal reasons this kind of car gives, each to the translation key of its own
    message; any other reason is shown as the car worded it."""
    decision_max_age: timedelta | None = None
    """Refusing or skipping a command (not plugged in, already charging) needs values at
    most this old: older ones are refreshed first if the car is awake. ``None``: never."""

    @property
    def plan_limits(self) -> PlanLimits | None:
        """With ``Capability.CHARGE_PLAN``: what plans the car can hold (it may depend on
        what the car has said about itself, such as its firmware)."""
        return None

    @abstractmethod
    async def async_poll(self, previous: EVData | None) -> PollResult:
        """Fetch what is worth fetching now (never waking a sleeping car)."""

    def decision_refresh_spacing(self) -> timedelta:
        """At most one refresh for a decision per this long (each may keep the car awake)."""
        return timedelta(0)

    def request_fresh_data(self) -> None:  # noqa: B027 - optional for providers
        """The user asked for a refresh: the next poll fetches data if the car is awake."""

    @property
    def costs(self) -> CostCounter | None:
        """Requests made for this vehicle, by billing category, if the API bills them."""
        return None

    def diagnostics(self) -> dict[str, Any]:
        """Provider details for the diagnostics download (redacted by the caller)."""
        return {}

    async def async_start_charging(self) -> CommandOutcome:
        raise NotImplementedError

    async def async_stop_charging(self) -> CommandOutcome:
        raise NotImplementedError

    async def async_set_charge_limit(self, percent: int) -> CommandOutcome:
        raise NotImplementedError

    async def async_set_charging_amps(self, amps: int) -> CommandOutcome:
        raise NotImplementedError

    async def async_open_charge_port(self) -> CommandOutcome:
        raise NotImplementedError

    async def async_close_charge_port(self) -> CommandOutcome:
        raise NotImplementedError

    async def async_charge_max_range(self) -> CommandOutcome:
        raise NotImplementedError

    async def async_charge_standard(self) -> CommandOutcome:
        raise NotImplementedError

    async def async_set_scheduled_charging(self, enable: bool, minutes: int) -> CommandOutcome:
        raise NotImplementedError

    async def async_set_scheduled_departure(self, settings: DepartureSettings) -> CommandOutcome:
        raise NotImplementedError

    async def async_schedule_charging(
        self, start: datetime, end: datetime, *, ignore_cooldown: bool
    ) -> CommandOutcome:
        raise NotImplementedError

    async def async_cancel_scheduled_charging(self) -> CommandOutcome:
        raise NotImplementedError

    async def async_write_charge_plan(self, windows: Sequence[ChargeWindow]) -> CommandOutcome:
        """Make the car hold these windows instead of the plan written before (an empty
        sequence removes it); sends nothing when the car holds them already."""
        raise NotImplementedError

    def restore_charge_plan(self, windows: Sequence[ChargeWindow]) -> None:  # noqa: B027 - optional
        """After a restart: the windows written before it, so they are known as the
        car's (to keep, replace or check) without asking the car."""

    def charge_plan_intact(self) -> bool | None:
        """Whether the car, as last read, still holds the windows written last that have
        not ended yet; ``False`` when they were changed or removed elsewhere (the car's
        app); ``None`` when nothing is written or the car was not read since."""
        return None


@dataclass(frozen=True, slots=True)
class AccountVehicles:
    """An account's vehicles at setup, and how to list them again later.

    ``discover`` returns every vehicle on the account now (free or cheap: Tesla's shared
    vehicle list, re.alto's entity list), so cars added to the account later appear
    without a reload.
    """

    vehicles: list[Vehicle]
    discover: Callable[[], Awaitable[list[Vehicle]]]
    on_command_error: Callable[[Vehicle, ApiError], None] | None = None
    """What the provider makes of a failed command beyond the message the user sees:
    a Tesla that turns out to need signing, or not to know the key, gets its repair."""
