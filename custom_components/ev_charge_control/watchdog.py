"""The charging watchdog: tells the user when charging that was expected is not happening.

Charging is expected (an *expectation*, with where it came from and when it began):

* ``plan``: while a ready-by plan's window runs;
* ``schedule``: for an hour after the car's own scheduled charging start;
* ``switch``: for an hour after a start was asked for here (the Charging switch, a
  voice command, an automation) while no plan window runs, and, once the car charged
  and no plan is on, until an hour after it was last seen charging.

A stop asked for here ends every expectation that began before it: stopping by hand is
never a problem, and never undone.  The watchdog reads only what the car's polls and
commands already put in its data (it sends no request to look), and raises, per car and
kind of problem:

* ``not_charging``: expected, plugged in, below its target, and not charging;
* ``no_power``: the car says it charges, but draws nothing (0 kW and 0 A);
* ``stopped_early``: it charged while expected, then stopped below the target while
  plugged in (not ``Complete``);
* ``schedule_changed``: the plan written into the car was changed or removed elsewhere
  (the car's app), as the car reads now.

Each problem, once it lasted ``GRACE``, fires one ``ev_charge_control_charging_problem``
event and raises one repair; both once per occurrence, a new occurrence at most once an
hour, and the repair goes when the problem does.  For ``not_charging`` and
``stopped_early`` from a plan window or the switch (not the car's own schedule, which
the user set in the car), it asks the car to start charging, once per expectation: a
car that missed its start, or whose session a passing fault stopped, charges again; a
real refusal reaches the user as the repair, and a stop made on purpose in the car's app
is overridden at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .data import Capability, ChargingStatus, EVData
from .entity import async_device_id
from .helpers import handle_command_errors
from .issues import issue_id
from .planner import ChargePlan

EVENT_CHARGING_PROBLEM = f"{DOMAIN}_charging_problem"
GRACE = timedelta(minutes=15)
"""How long a problem lasts before it is told.  A car takes a minute or two from a start
to drawing power; a Tesla is read 15 s after a command and every 9 minutes while it
charges, a re.alto car every 10 minutes, and a re.alto command runs for minutes.  15
minutes gives every car a reading after its start had its chance (10 minutes could end
between two re.alto readings), and still tells within the quarter hour."""
REPEAT_AFTER = timedelta(hours=1)
"""A problem that ended is told again at the earliest this long after it was last told."""
EXPECTS = timedelta(hours=1)
"""How long a start (asked here, or the car's schedule) expects to see charging."""
PLAN_LEAD = timedelta(minutes=1)
"""The planner starts a window up to a minute early: such a start is the plan's."""
CHECK_EVERY = timedelta(minutes=1)
"""Checks read the last polled values only: no request is made."""

ISSUE_CHARGING_NOT_STARTED = "charging_not_started"
ISSUE_CHARGING_WITHOUT_POWER = "charging_without_power"
ISSUE_CHARGING_STOPPED_EARLY = "charging_stopped_early"
ISSUE_CHARGING_SCHEDULE_CHANGED = "charging_schedule_changed"


class Problem(StrEnum):
    """The problems, by their repair's translation key."""

    NOT_CHARGING = ISSUE_CHARGING_NOT_STARTED
    NO_POWER = ISSUE_CHARGING_WITHOUT_POWER
    STOPPED_EARLY = ISSUE_CHARGING_STOPPED_EARLY
    SCHEDULE_CHANGED = ISSUE_CHARGING_SCHEDULE_CHANGED


class Source(StrEnum):
    """What expected the charging (the event's ``expected_by``)."""

    PLAN = "plan"
    SCHEDULE = "schedule"
    SWITCH = "switch"


@dataclass(frozen=True, slots=True)
class Expectation:
    """One reason to expect charging now."""

    source: Source
    began: datetime
    """With ``source``, which expectation this is: the same one from check to check."""
    target: int | None = field(compare=False)
    """The level it charges to (the plan's target, else the car's limit; None: unknown)."""


RETRIED = (Problem.NOT_CHARGING, Problem.STOPPED_EARLY)
RETRIED_FOR = (Source.PLAN, Source.SWITCH)
RUNNING = ("pending", "triggered", "sent")
"""An asynchronous command (re.alto) in these states has not reached its end yet."""
ENDED_UNDONE = ("failed", "canceled", "timed_out", "unknown")
"""An asynchronous command that ended so: what it asked for did not happen."""


class ChargingWatchdog:
    """Watches one car."""

    def __init__(
        self, hass: HomeAssistant, entry: EVChargeControlConfigEntry, coordinator: VehicleCoordinator
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self.vehicle = coordinator.vehicle
        self._previous = coordinator.data
        self._asked: datetime | None = None
        """When a start was asked for here, while it still expects charging."""
        self._asked_until: datetime | None = None
        self._stopped: datetime | None = None
        """When a stop was last asked for here."""
        self._schedule_start: datetime | None = None
        self._charged_in: Expectation | None = None
        """The expectation the car was last seen charging in."""
        self._retried: Expectation | None = None
        self._retrying = False
        self._since: dict[Problem, datetime] = {}
        """When each problem now present was first seen."""
        self._raised: dict[Problem, datetime] = {}
        """When each problem was last told."""
        self._told: set[Problem] = set()
        """The problems told and still present: not told again while they last."""
        self._unsubs: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> None:
        self._unsubs.append(self.coordinator.async_add_listener(self._on_update))
        self._unsubs.append(async_track_time_interval(self.hass, self._on_time, CHECK_EVERY))

    @callback
    def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for problem in Problem:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue(problem))

    @callback
    def _on_time(self, _now: datetime) -> None:
        self._check()

    @callback
    def _on_update(self) -> None:
        previous, data = self._previous, self.coordinator.data
        self._previous = data
        if previous is not None and data is not None:
            self._note_asked(previous, data, dt_util.utcnow())
        self._check()

    # ------------------------------------------------------------------ what was asked
    @callback
    def _note_asked(self, previous: EVData, data: EVData, now: datetime) -> None:
        """Starts and stops asked for here, told apart from the car's own readings.

        Polls that read the car bring a new ``updated_at``; a command's known effect
        (any start or stop: the switch, a voice command, the planner) changes
        ``charging`` without one.  So does a re.alto command that ended undone, which
        is no stop: what it asked for stays expected.
        """
        if data.plugged_in is False:
            self._asked = None  # unplugged: nothing is expected of this session
        if data.updated_at != previous.updated_at or data.charging == previous.charging:
            return
        if data.charging is True and data.charging_measured is not True:
            if self._retrying or self._plan_due(now):
                return  # the retry renews nothing; a plan window's start is the plan's
            self._asked, self._asked_until = now, now + EXPECTS
        elif data.charging is False and not (
            data.last_command is not None
            and data.last_command != previous.last_command
            and data.last_command.status in ENDED_UNDONE
        ):
            self._stopped, self._asked = now, None

    def _plan(self) -> ChargePlan | None:
        planner = self.entry.runtime_data.planners.get(self.vehicle.unique_id)
        return planner.plan if planner is not None else None

    def _plan_due(self, now: datetime) -> bool:
        plan = self._plan()
        return plan is not None and (plan.expects_charging(now) or plan.expects_charging(now + PLAN_LEAD))

    # ------------------------------------------------------------------ deciding
    def _expectation(self, data: EVData, now: datetime) -> Expectation | None:
        """Why charging is expected now; ``None``: it is not (or was stopped here)."""
        self._note_schedule(data, now)
        plan = self._plan()
        candidates: list[Expectation] = []
        if plan is not None:
            window = next((w for w in plan.windows if w.start <= now < w.end), None)
            if window is not None:
                candidates.append(Expectation(Source.PLAN, window.start, plan.target))
        start = self._schedule_start
        if data.scheduled_charging_enabled and start is not None and start <= now < start + EXPECTS:
            candidates.append(Expectation(Source.SCHEDULE, start, data.charge_limit))
        if self._asked is not None and self._asked_until is not None and now < self._asked_until:
            candidates.append(Expectation(Source.SWITCH, self._asked, data.charge_limit))
        return next((c for c in candidates if self._stopped is None or self._stopped < c.began), None)

    def _note_schedule(self, data: EVData, now: datetime) -> None:
        """The car reports its next scheduled start; once one passed, the next read
        says tomorrow's.  The one that passed is kept for ``EXPECTS``."""
        start = data.scheduled_charging_start
        if not data.scheduled_charging_enabled or start is None:
            return
        kept = self._schedule_start
        if kept is None or start <= now or kept + EXPECTS <= now:
            self._schedule_start = start

    def _problems(self, data: EVData, now: datetime) -> dict[Problem, Expectation | None]:
        """The problems present now, each with the expectation it failed."""
        found: dict[Problem, Expectation | None] = {}
        if self.vehicle.charge_plan_intact() is False:
            found[Problem.SCHEDULE_CHANGED] = None
        if (
            Capability.CHARGER_DETAILS in self.vehicle.capabilities
            and data.charging_status is ChargingStatus.CHARGING
            and data.charger_power_kw == 0
            # Tesla rounds the power to whole kW: a car drawing 2 A reads 0 kW.
            and not data.charger_current_a
        ):
            found[Problem.NO_POWER] = None
        expected = self._expectation(data, now)
        if expected is None or data.charging_measured is None:
            return found
        if data.charging_measured and data.charging_status is not ChargingStatus.STARTING:
            self._charged_in = expected
            if expected.source is Source.SWITCH:
                if self._plan() is not None:
                    self._asked = None  # it started; with a plan on, the plan says when it stops
                elif self._asked_until is not None:
                    # Charging was on: a stop is watched until an hour after the last
                    # reading that showed it charging.
                    seen = (data.updated_at or now) + EXPECTS
                    self._asked_until = max(self._asked_until, seen)
            return found
        running = data.last_command is not None and data.last_command.status in RUNNING
        if expected.source is Source.SWITCH and running:
            return found  # re.alto still runs the start: nothing is late yet
        level, target = data.battery_level, expected.target
        below = level is not None and (target is None or level < target)
        # Not charging, or still trying to start (a car kept in "Starting" by its
        # charger draws nothing, and does not count as having charged).
        if data.plugged_in is True and below:
            if self._charged_in == expected and data.charging_status is not ChargingStatus.COMPLETE:
                found[Problem.STOPPED_EARLY] = expected
            else:
                found[Problem.NOT_CHARGING] = expected
        return found

    @callback
    def _check(self) -> None:
        if self.coordinator.data is None or not self.coordinator.last_update_success:
            return  # nothing known, or stale: the car's availability says so already
        now = dt_util.utcnow()
        found = self._problems(self.coordinator.data, now)
        for problem in Problem:
            if problem not in found:
                self._since.pop(problem, None)
                if problem in self._told:
                    self._told.discard(problem)
                    ir.async_delete_issue(self.hass, DOMAIN, self._issue(problem))
                    LOGGER.debug("%s: %s is over", self.vehicle.name, problem.value.replace("_", " "))
                continue
            since = self._since.setdefault(problem, now)
            grace = timedelta(0) if problem is Problem.SCHEDULE_CHANGED else GRACE
            if problem in self._told or now - since < grace:
                continue
            last = self._raised.get(problem)
            if last is not None and now - last < REPEAT_AFTER:
                continue  # it came back soon after it was told: once an hour at most
            self._tell(problem, since, found[problem], now)

    # ------------------------------------------------------------------ telling
    @callback
    def _tell(self, problem: Problem, since: datetime, expected: Expectation | None, now: datetime) -> None:
        self._told.add(problem)
        self._raised[problem] = now
        data = self.coordinator.data or EVData()
        # Not inside the platform's cooldown: the start would only be refused.
        cooling = data.cooldown_until is not None and data.cooldown_until > now
        retry = (
            expected is not None
            and problem in RETRIED
            and expected.source in RETRIED_FOR
            and expected != self._retried
            and not cooling
        )
        LOGGER.warning(
            "%s: %s since %s%s",
            self.vehicle.name,
            problem.value.replace("_", " "),
            since.isoformat(),
            "; asking it once to start charging" if retry else "",
        )
        self.hass.bus.async_fire(
            EVENT_CHARGING_PROBLEM,
            {
                "device_id": async_device_id(self.hass, self.entry.entry_id, self.vehicle.unique_id),
                "name": self.vehicle.name,
                "problem": problem.value,
                "since": since.isoformat(),
                "expected_by": _expected_by(problem, expected),
                "retried": retry,
            },
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue(problem),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=problem.value,
            translation_placeholders={
                "name": self.vehicle.name,
                "since": dt_util.as_local(since).strftime("%H:%M"),
            },
        )
        if retry:
            self._retried = expected
            self.hass.async_create_task(self._async_retry(), eager_start=True)

    async def _async_retry(self) -> None:
        """One start, the safe retry: a start the car refuses changes nothing."""
        self._retrying = True
        try:
            async with handle_command_errors(self.coordinator):
                await self.coordinator.async_command(self.vehicle.async_start_charging)
        except HomeAssistantError as err:
            LOGGER.warning("%s: starting charging again failed: %s", self.vehicle.name, err)
        finally:
            self._retrying = False

    def _issue(self, problem: Problem) -> str:
        return issue_id(problem.value, self.entry.entry_id, self.vehicle.unique_id)


def _expected_by(problem: Problem, expected: Expectation | None) -> str | None:
    """The event's ``expected_by``: a changed plan is the plan's; charging without power
    is nobody's."""
    if expected is not None:
        return expected.source.value
    return Source.PLAN.value if problem is Problem.SCHEDULE_CHANGED else None


async def async_setup_watchdogs(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, coordinators: list[VehicleCoordinator]
) -> None:
    """A watchdog for each of these cars that reports whether it charges."""
    for coordinator in coordinators:
        if Capability.MEASURED_CHARGING in coordinator.vehicle.capabilities:
            watchdog = ChargingWatchdog(hass, entry, coordinator)
            entry.runtime_data.watchdogs[coordinator.vehicle.unique_id] = watchdog
            watchdog.async_start()


@callback
def async_stop_watchdog(entry: EVChargeControlConfigEntry, car: str) -> None:
    """The car left (or the entry unloads): its watchdog stops and its repairs go."""
    watchdog = entry.runtime_data.watchdogs.pop(car, None)
    if watchdog is not None:
        watchdog.async_stop()
