"""The charging watchdog: tells the user when charging that was expected is not happening.

Charging is expected while a ready-by plan's window runs, for an hour after the car's
scheduled charging start, and while the Charging switch was turned on and the car has
not confirmed it yet.  The watchdog reads only what the car's polls already fetched
(it sends no request of its own) and raises, per car and kind of problem:

* ``not_charging``: expected, plugged in, below its target, and not charging;
* ``no_power``: the car says it charges, but draws nothing (0 kW and 0 A);
* ``stopped_early``: it charged in a plan window, then stopped below the target;
* ``schedule_changed``: the plan written into the car was changed or removed elsewhere
  (the car's app), as the car reads now.

Each problem, once it lasted ``GRACE`` (a car takes minutes to start, and is read every
few minutes), fires one ``ev_charge_control_charging_problem`` event and raises one
repair; both once per occurrence, a new occurrence at most once an hour, and the repair
goes when the problem does.  For ``not_charging`` and ``stopped_early`` from a plan or
the switch (not the car's own schedule, which the user set in the car), it asks the car
once to start charging: a car that missed its start, or whose session was stopped by a
passing fault, charges again; a real refusal reaches the user as the repair.
"""

from __future__ import annotations

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

EVENT_CHARGING_PROBLEM = f"{DOMAIN}_charging_problem"
GRACE = timedelta(minutes=15)
REPEAT_AFTER = timedelta(hours=1)
SCHEDULE_EXPECTS = timedelta(hours=1)
"""How long after the car's scheduled charging start it should be seen charging."""
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


RETRIED = (Problem.NOT_CHARGING, Problem.STOPPED_EARLY)
RUNNING = ("pending", "triggered", "sent")
"""An asynchronous command (re.alto) in these states has not reached its end yet."""


class ChargingWatchdog:
    """Watches one car."""

    def __init__(
        self, hass: HomeAssistant, entry: EVChargeControlConfigEntry, coordinator: VehicleCoordinator
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self.vehicle = coordinator.vehicle
        self._since: dict[Problem, datetime] = {}
        """When each problem now present was first seen."""
        self._raised: dict[Problem, datetime] = {}
        """When each problem was last told; a problem told is not told again while it lasts."""
        self._told: set[Problem] = set()
        self._schedule_start: datetime | None = None
        self._charged_in_window = False
        self._unsubs: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> None:
        self._unsubs.append(self.coordinator.async_add_listener(self._check))
        self._unsubs.append(async_track_time_interval(self.hass, self._on_time, CHECK_EVERY))

    @callback
    def _on_time(self, _now: datetime) -> None:
        self._check()

    @callback
    def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for problem in Problem:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue(problem))

    # ------------------------------------------------------------------ deciding
    def _expectation(self, data: EVData, now: datetime) -> tuple[str, int | None] | None:
        """Why charging is expected now, and up to which level; ``None``: it is not."""
        planner = self.entry.runtime_data.planners.get(self.vehicle.unique_id)
        plan = planner.plan if planner is not None else None
        if plan is not None and plan.expects_charging(now):
            return "plan", plan.target
        self._note_schedule(data, now)
        if (
            data.scheduled_charging_enabled
            and self._schedule_start is not None
            and self._schedule_start <= now < self._schedule_start + SCHEDULE_EXPECTS
        ):
            return "schedule", data.charge_limit
        running = data.last_command is not None and data.last_command.status in RUNNING
        if data.charging is True and data.charging_measured is False and not running:
            # Asked for, and the command has ended (or ends with its reply): the car
            # should charge now.  While the platform still runs it, nothing is late.
            return "switch", data.charge_limit
        return None

    def _note_schedule(self, data: EVData, now: datetime) -> None:
        """The car reports its next scheduled start; once one passed, the next read
        says tomorrow's.  The one that passed is kept for ``SCHEDULE_EXPECTS``."""
        start = data.scheduled_charging_start
        if not data.scheduled_charging_enabled or start is None:
            return
        kept = self._schedule_start
        if kept is None or start <= now or kept + SCHEDULE_EXPECTS <= now:
            self._schedule_start = start

    def _problems(self, data: EVData, now: datetime) -> dict[Problem, str | None]:
        """The problems present now, each with what expected the charging."""
        found: dict[Problem, str | None] = {}
        if self.vehicle.charge_plan_intact() is False:
            found[Problem.SCHEDULE_CHANGED] = "plan"
        if (
            Capability.CHARGER_DETAILS in self.vehicle.capabilities
            and data.charging_status is ChargingStatus.CHARGING
            and data.charger_power_kw == 0
            and not data.charger_current_a
        ):
            found[Problem.NO_POWER] = None
        expected = self._expectation(data, now)
        if expected is None:
            self._charged_in_window = False
            return found
        source, target = expected
        if data.charging_measured is True:
            self._charged_in_window = source == "plan"
            return found
        below = data.battery_level is not None and (target is None or data.battery_level < target)
        if data.plugged_in is True and below and data.charging_measured is False:
            if self._charged_in_window and data.charging_status is not ChargingStatus.COMPLETE:
                found[Problem.STOPPED_EARLY] = source
            else:
                found[Problem.NOT_CHARGING] = source
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
                continue
            since = self._since.setdefault(problem, now)
            grace = timedelta(0) if problem is Problem.SCHEDULE_CHANGED else GRACE
            if problem in self._told or now - since < grace:
                continue
            last = self._raised.get(problem)
            if last is not None and now - last < REPEAT_AFTER:
                continue  # flapping: once an hour at most
            self._tell(problem, since, found[problem], now)

    # ------------------------------------------------------------------ telling
    @callback
    def _tell(self, problem: Problem, since: datetime, source: str | None, now: datetime) -> None:
        self._told.add(problem)
        self._raised[problem] = now
        data = self.coordinator.data or EVData()
        cooling = data.cooldown_until is not None and data.cooldown_until > now
        # Not inside the platform's cooldown: the start would only be refused.
        retry = problem in RETRIED and source in ("plan", "switch") and not cooling
        LOGGER.warning(
            "%s: %s since %s", self.vehicle.name, problem.value.replace("_", " "), since.isoformat()
        )
        self.hass.bus.async_fire(
            EVENT_CHARGING_PROBLEM,
            {
                "device_id": async_device_id(self.hass, self.entry.entry_id, self.vehicle.unique_id),
                "name": self.vehicle.name,
                "problem": problem.value,
                "since": since.isoformat(),
                "expected_by": source,
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
            self.hass.async_create_task(self._async_retry(), eager_start=True)

    async def _async_retry(self) -> None:
        """One start, the safe retry: a start the car refuses changes nothing."""
        try:
            async with handle_command_errors(self.coordinator):
                await self.coordinator.async_command(self.vehicle.async_start_charging)
        except HomeAssistantError as err:
            LOGGER.warning("%s: starting charging again failed: %s", self.vehicle.name, err)

    def _issue(self, problem: Problem) -> str:
        return issue_id(problem.value, self.entry.entry_id, self.vehicle.unique_id)


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
    watchdog = entry.runtime_data.watchdogs.pop(car, None)
    if watchdog is not None:
        watchdog.async_stop()
