"""The ready-by planner of one car: its settings, when it plans again, and the writing
of its plan into the car.

The plan itself is made by ``planner.make_plan``; this module feeds it (the car's charge
level and learned charge rate, the price forecast of the chosen sensor, the next
departure) and keeps the car holding the plan's windows, so the car charges as planned
even while Home Assistant is down.  It plans again when the settings, the prices, the
plug or the charge level change, and when a departure has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import SIGNAL_CONFIG_ENTRY_CHANGED, ConfigEntry, ConfigEntryChange
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
    async_track_state_change_event,
)
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .data import Capability, EVData
from .entity import async_device_id
from .helpers import handle_command_errors
from .issues import issue_id
from .planner import ASSUMED, ChargePlan, ChargeRate, PlanRequest, PlanStatus, make_plan, next_departure
from .prices import PriceForecast, parse_price_forecast
from .ready_by_settings import CONF_PRICE_ENTITY, ReadyBySettings, ReadyByStore
from .vehicle import ChargeWindow

EVENT_PLAN_UNREACHABLE = f"{DOMAIN}_plan_unreachable"
ISSUE_PLAN_UNREACHABLE = "plan_unreachable"
REPLAN_DELAY = timedelta(seconds=30)
"""Changes that come together (a poll with a new charge level and plug state, a price
sensor writing today and tomorrow) make one new plan, and at most one write."""
AFTER_DEPARTURE = timedelta(minutes=30)
"""The next day's plan is written this long after a departure, if still plugged in."""
MIN_RATE, MAX_RATE = 1.0, 150.0
"""Percent per hour a measurement must lie within to be believed."""
MIN_MEASURED_GAIN = 2
"""Percent the charge must rise, while charging, before a rate is measured from it."""


class ReadyByPlanner:
    """Plans one car's charging to be ready by its departure, and keeps the car holding
    the plan."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EVChargeControlConfigEntry,
        coordinator: VehicleCoordinator,
        store: ReadyByStore,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self.vehicle = coordinator.vehicle
        self._store = store
        self.settings = store.get(self.vehicle.unique_id)
        self.plan: ChargePlan | None = None
        """The current plan; ``None`` while planning is off."""
        self.prices: PriceForecast | None = None
        self.write_error: str | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._price_unsub: CALLBACK_TYPE | None = None
        self._replan_unsub: CALLBACK_TYPE | None = None
        self._departure_unsub: CALLBACK_TYPE | None = None
        self._seen: tuple[bool | None, int | None] = (None, None)
        self._may_stop = False
        """The next write may stop charging outside the plan's windows: it follows a
        plug-in (the car began charging with the cable) or the user's own change."""
        self._charging_since: tuple[datetime, int] | None = None

    # ------------------------------------------------------------------ life cycle
    @callback
    def async_start(self) -> None:
        if self.settings.written:
            self.vehicle.restore_charge_plan(self.settings.written)
        self._unsubs.append(self.coordinator.async_add_listener(self._on_car_update))
        self._follow_price_entity()
        data = self.coordinator.data or EVData()
        self._seen = (data.plugged_in, data.battery_level)
        self._replan()

    @callback
    def async_stop(self) -> None:
        for unsub in (*self._unsubs, self._price_unsub, self._replan_unsub, self._departure_unsub):
            if unsub is not None:
                unsub()
        self._unsubs.clear()
        self._price_unsub = self._replan_unsub = self._departure_unsub = None

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Entities showing the settings or the plan are told when either changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @property
    def price_entity(self) -> str | None:
        return self.settings.price_entity or self.entry.options.get(CONF_PRICE_ENTITY) or None

    # ------------------------------------------------------------------ settings
    async def async_update_settings(self, *, write_later: bool = False, **changes: Any) -> None:
        """Change settings (from an entity or the action) and plan again now.

        ``write_later``: the new plan is shown at once and written to the car when no
        change followed for ``REPLAN_DELAY`` (a value being dragged or typed).
        """
        settings = replace(self.settings, **changes)
        if settings == self.settings:
            return
        turned_off = self.settings.enabled and not settings.enabled
        self._save(settings)
        self._may_stop = True  # the user's change: the car follows the new plan
        self._follow_price_entity()
        if turned_off:
            self._cancel_replan()
            self.plan = None
            self._update_issue()
            self._notify()
            await self._async_write(())
            return
        if write_later:
            self._replan()
            self._schedule_replan()
            return
        await self._async_replan_and_write()

    @callback
    def _save(self, settings: ReadyBySettings) -> None:
        self.settings = settings
        self._store.set(self.vehicle.unique_id, settings)

    async def async_price_source_changed(self) -> None:
        self._follow_price_entity()
        if self.settings.enabled:
            await self._async_replan_and_write()

    # ------------------------------------------------------------------ triggers
    @callback
    def _follow_price_entity(self) -> None:
        if self._price_unsub is not None:
            self._price_unsub()
            self._price_unsub = None
        if self.price_entity is not None:
            self._price_unsub = async_track_state_change_event(
                self.hass, [self.price_entity], self._on_price_change
            )

    @callback
    def _on_price_change(self, _event: Event[EventStateChangedData]) -> None:
        # Price sensors write their state every hour (the current price) while the
        # forecast stays the same: only a new forecast is a reason to plan again.
        if self._read_prices() != self.prices:
            self._schedule_replan()

    @callback
    def _on_car_update(self) -> None:
        data = self.coordinator.data or EVData()
        self._learn_rate(data)
        seen = (data.plugged_in, data.battery_level)
        if seen == self._seen:
            return
        plugged_changed = seen[0] != self._seen[0]
        self._seen = seen
        if plugged_changed and data.plugged_in is True:
            self._may_stop = True
        # While the car charges its charge level rises every poll: in a planned window
        # that is the plan working, outside one a charge started by hand, which the
        # user decides on.  Either way not a reason to write the plan again; the next
        # level read while it does not charge is.
        if plugged_changed or data.charging_measured is not True:
            self._schedule_replan()

    @callback
    def _schedule_replan(self, delay: timedelta = REPLAN_DELAY) -> None:
        """Plan again and write once things settled: each new change restarts the wait."""
        self._cancel_replan()

        @callback
        def run(_now: datetime) -> None:
            self._replan_unsub = None
            self.hass.async_create_task(self._async_replan_and_write(), eager_start=True)

        self._replan_unsub = async_call_later(self.hass, delay, run)

    @callback
    def _cancel_replan(self) -> None:
        if self._replan_unsub is not None:
            self._replan_unsub()
            self._replan_unsub = None

    @callback
    def _on_departure(self, _now: datetime) -> None:
        """The departure came: the next plan is for the next one."""
        self._departure_unsub = None
        if self.settings.departure_once is not None and self.settings.departure_once <= dt_util.utcnow():
            self._save(replace(self.settings, departure_once=None))
        # The next plan is shown now, and written once the polls had time to see
        # whether the car left (a car driving off still reads "plugged in" for a while):
        # unplugged, it is written at the next plug-in instead.
        self._replan()
        self._schedule_replan(AFTER_DEPARTURE)

    # ------------------------------------------------------------------ planning
    def departure(self, now: datetime) -> datetime:
        once = self.settings.departure_once
        if once is not None and once > now:
            return once
        return next_departure(now, self.settings.departure, dt_util.get_default_time_zone())

    def rate(self) -> ChargeRate:
        pph = self.settings.rate_percent_per_hour
        if pph is None:
            return ChargeRate(
                ASSUMED.percent_per_hour, self.settings.rate_power_kw or ASSUMED.power_kw, False
            )
        return ChargeRate(pph, self.settings.rate_power_kw, measured=True)

    def _read_prices(self) -> PriceForecast | None:
        entity_id = self.price_entity
        state = self.hass.states.get(entity_id) if entity_id is not None else None
        if state is None:
            return None
        return parse_price_forecast(
            state.attributes,
            zone=dt_util.get_default_time_zone(),
            unit=state.attributes.get("unit_of_measurement"),
        )

    @callback
    def _replan(self) -> None:
        """Make the plan for now (shown at once; written by the caller)."""
        if not self.settings.enabled:
            self.plan = None
            self._update_issue()
            self._notify()
            return
        now = dt_util.utcnow()
        departure = self.departure(now)
        data = self.coordinator.data or EVData()
        self.prices = self._read_prices()
        limits = self.vehicle.plan_limits
        if data.battery_level is None or limits is None:
            # A car asleep since start-up: nothing to plan from until it is read.
            self.plan = None
        else:
            self.plan = make_plan(
                PlanRequest(
                    now=now,
                    battery_level=data.battery_level,
                    target=self.settings.target,
                    departure=departure,
                    rate=self.rate(),
                    limits=limits,
                    prices=self.prices,
                )
            )
        if self._departure_unsub is not None:
            self._departure_unsub()
        self._departure_unsub = async_track_point_in_utc_time(self.hass, self._on_departure, departure)
        self._update_issue()
        self._notify()

    async def _async_replan_and_write(self) -> None:
        self._cancel_replan()
        self._replan()
        plan = self.plan
        data = self.coordinator.data or EVData()
        if plan is None or data.plugged_in is not True:
            # Written when the car is plugged in: a re.alto command to an unplugged car
            # fails, and a Tesla's schedule is for the place it is plugged in at.
            return
        if (
            Capability.CHARGE_LIMIT in self.vehicle.capabilities
            and data.charge_limit is not None
            and data.charge_limit != plan.target
            and plan.status is not PlanStatus.AT_TARGET
        ):
            await self._async_command(lambda: self.vehicle.async_set_charge_limit(plan.target))
        await self._async_write(plan.windows)

    async def _async_write(self, windows: tuple[ChargeWindow, ...]) -> None:
        now = dt_util.utcnow()
        wanted = tuple(w for w in windows if w.end > now)
        written = self.settings.written
        if written is not None and _same_windows(written, wanted, now):
            return
        if written is None and not wanted and not self.settings.enabled:
            return  # never wrote anything: nothing to remove
        # Charging now in a window of the plan being replaced is the plan's charging: a
        # new forecast that moves it elsewhere stops it too.
        if written is not None and _running(written, now):
            self._may_stop = True
        if await self._async_command(lambda: self.vehicle.async_write_charge_plan(wanted)):
            self._save(replace(self.settings, written=wanted))
            if self.settings.enabled:
                await self._async_follow_plan_now(wanted)
        self._notify()

    async def _async_follow_plan_now(self, windows: tuple[ChargeWindow, ...]) -> None:
        """Right after a new plan reached the car: charge now if the plan says so, and
        not if it does not.

        A car holding a start time does not start a window that has already begun (its
        start is now, or passed), and a car that began charging when it was plugged in,
        before the plan was written, goes on charging.  Stopped only after a plug-in,
        the user's own change of the plan, or in a window of the plan this one replaces:
        a charge started by hand outside the plan is the user's to decide.
        """
        if Capability.CHARGING not in self.vehicle.capabilities:
            return
        data = self.coordinator.data or EVData()
        now = dt_util.utcnow()
        due = _running(windows, now)
        charging = data.charging is True or data.charging_measured is True
        may_stop, self._may_stop = self._may_stop, False
        if due and not charging and data.plugged_in is True:
            await self._async_command(self.vehicle.async_start_charging)
        elif not due and charging and may_stop:
            await self._async_command(self.vehicle.async_stop_charging)

    async def _async_command(self, send: Callable[[], Any]) -> bool:
        try:
            async with handle_command_errors(self.coordinator):
                await self.coordinator.async_command(send)
        except HomeAssistantError as err:
            # The watchdog tells the user when charging then does not happen; here the
            # reason is kept for the plan sensor and logged once per reason.
            message = str(err)
            if message != self.write_error:
                LOGGER.warning("%s: the charging plan could not be written: %s", self.vehicle.name, message)
            self.write_error = message
            return False
        self.write_error = None
        return True

    # ------------------------------------------------------------------ learning
    @callback
    def _learn_rate(self, data: EVData) -> None:
        """The car's real charge rate at home, from its own readings while it charges."""
        if data.charging_measured is not True or data.battery_level is None:
            self._charging_since = None
            return
        now = data.updated_at or dt_util.utcnow()
        rate = None
        if data.minutes_to_full and data.charge_limit is not None and data.charge_limit > data.battery_level:
            rate = (data.charge_limit - data.battery_level) * 60 / data.minutes_to_full
        elif self._charging_since is None:
            self._charging_since = (now, data.battery_level)
        else:
            since, level = self._charging_since
            gained = data.battery_level - level
            hours = (now - since).total_seconds() / 3600
            if gained >= MIN_MEASURED_GAIN and hours > 0:
                rate = gained / hours
        power = data.charger_power_kw if data.charger_power_kw and data.charger_power_kw > 0 else None
        changes: dict[str, Any] = {}
        if rate is not None and MIN_RATE <= rate <= MAX_RATE:
            changes["rate_percent_per_hour"] = round(rate, 2)
        if power is not None:
            changes["rate_power_kw"] = round(power, 2)
        if changes and replace(self.settings, **changes) != self.settings:
            self._save(replace(self.settings, **changes))

    # ------------------------------------------------------------------ telling
    @callback
    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    @callback
    def _update_issue(self) -> None:
        """Say in advance, as a repair and an event, that the target cannot be reached."""
        issue = self.issue_id
        plan = self.plan
        if plan is None or plan.status is not PlanStatus.UNREACHABLE:
            ir.async_delete_issue(self.hass, DOMAIN, issue)
            return
        registry = ir.async_get(self.hass)
        placeholders = {
            "name": self.vehicle.name,
            "target": str(plan.target),
            "expected": str(round(plan.expected_soc)),
            "departure": dt_util.as_local(plan.departure).strftime("%H:%M"),
        }
        existing = registry.async_get_issue(DOMAIN, issue)
        if existing is None or existing.translation_placeholders != placeholders:
            self.hass.bus.async_fire(
                EVENT_PLAN_UNREACHABLE,
                {
                    "device_id": self._device_id(),
                    "name": self.vehicle.name,
                    "target": plan.target,
                    "expected_soc": round(plan.expected_soc, 1),
                    "departure": plan.departure.isoformat(),
                },
            )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_PLAN_UNREACHABLE,
            translation_placeholders=placeholders,
        )

    @property
    def issue_id(self) -> str:
        return issue_id(ISSUE_PLAN_UNREACHABLE, self.entry.entry_id, self.vehicle.unique_id)

    def _device_id(self) -> str | None:
        return async_device_id(self.hass, self.entry.entry_id, self.vehicle.unique_id)


def _running(windows: tuple[ChargeWindow, ...], now: datetime) -> bool:
    """A window runs now (or begins within the minute: plans start at whole minutes)."""
    return any(w.start <= now + timedelta(minutes=1) and now < w.end for w in windows)


def _same_windows(written: tuple[ChargeWindow, ...], wanted: tuple[ChargeWindow, ...], now: datetime) -> bool:
    """The car holds ``wanted`` already: equal windows, where a window that has begun
    counts as equal to one that ends alike and begins now (a plan made a minute later
    starts its running window a minute later)."""
    remaining = tuple(w for w in written if w.end > now)
    if len(remaining) != len(wanted):
        return False
    horizon = now + timedelta(minutes=1)
    for old, new in zip(remaining, wanted, strict=True):
        if old.end != new.end:
            return False
        if old.start != new.start and not (old.start <= horizon and new.start <= horizon):
            return False
    return True


async def async_setup_planners(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, coordinators: list[VehicleCoordinator]
) -> None:
    """A planner for each of these cars that can hold a plan, before their entities."""
    runtime = entry.runtime_data
    if runtime.ready_by_store is None:
        runtime.ready_by_store = ReadyByStore(hass, entry.entry_id)
        await runtime.ready_by_store.async_load()
    for coordinator in coordinators:
        if Capability.CHARGE_PLAN not in coordinator.vehicle.capabilities:
            continue
        planner = ReadyByPlanner(hass, entry, coordinator, runtime.ready_by_store)
        runtime.planners[coordinator.vehicle.unique_id] = planner
        planner.async_start()


@callback
def async_stop_planner(entry: EVChargeControlConfigEntry, car: str) -> None:
    """The car is no longer set up here: its planner stops (its settings stay)."""
    planner = entry.runtime_data.planners.pop(car, None)
    if planner is not None:
        planner.async_stop()
        ir.async_delete_issue(planner.hass, DOMAIN, planner.issue_id)


@callback
def async_follow_price_option(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> None:
    """A new price sensor in the options: every car's plan follows it, without a reload
    (which would poll every car again).  Not an update listener: Home Assistant reads
    one as the way to reload after a reauthentication or a reconfiguration."""
    followed = entry.options.get(CONF_PRICE_ENTITY)

    @callback
    def changed(change: ConfigEntryChange, changed_entry: ConfigEntry) -> None:
        nonlocal followed
        if change is not ConfigEntryChange.UPDATED or changed_entry.entry_id != entry.entry_id:
            return
        price = changed_entry.options.get(CONF_PRICE_ENTITY)
        if price == followed:
            return  # the entry's data changed (a rotated token, the cars seen)
        followed = price
        for planner in entry.runtime_data.planners.values():
            hass.async_create_task(planner.async_price_source_changed(), eager_start=True)

    entry.async_on_unload(async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, changed))


async def async_remove_planner_settings(hass: HomeAssistant, entry_id: str) -> None:
    await ReadyByStore(hass, entry_id).async_remove()
