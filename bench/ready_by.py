"""The ready-by nights (issue #15): charge on plug-in against the ready-by plan.

A Tesla (75 kWh, 16 A on three 230 V phases: 11 kW, about 14.7 % an hour) comes home,
is plugged in and must have 80 % at departure.  Two policies, each a fresh Home
Assistant with our integration, unmodified, in its test harness against the simulator,
both clocks moved together (``HomeAssistantStepper``):

* **charge on plug-in**: the planner is off.  The car has no schedule, so it starts
  charging when the cable goes in and stops at its limit (80 %), as cars do.
* **ready-by plan**: the planner is on (``ev_charge_control.plan_charging``: target 80 %,
  the night's departure), the entry's ``price_entity`` option names the price sensor.
  It writes its plan into the car (a start time on older firmware, one-time charge
  schedules on 2024.26+), so the car charges by itself in the planned windows.

The ready-by plan runs against two cars: one on firmware 2025.20 (charge schedules) and
one on 2023.44 (scheduled charging: one start time, then to the limit).  Charging on
plug-in does not depend on the firmware; it runs on the newer car.

The price sensor is shaped like the Nord Pool integration's (HACS): state the current
hour's price, attributes ``raw_today``/``raw_tomorrow`` (hourly ``{start, end, value}``
with local ISO offsets), ``today``/``tomorrow`` and ``tomorrow_valid``.  As the real one,
it changes every hour (its state), rolls ``tomorrow`` into ``today`` at midnight, and
shows tomorrow's prices from 13:00 (day-ahead prices are published around 12:45).
Home Assistant and the car are in Europe/Amsterdam.

Everything is measured from the simulator: the energy that went into the battery, when
(a hook on the car's integration step), so each kWh is priced at the hour it was charged
in; the battery each minute; the commands the car took and the requests billed
(``bench/metrics.py``'s ``Tap`` and ``day_result``); and the plan sensor's states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_TESLA,
)
from simulator import FakeClock, build_world
from simulator.tesla.vehicle import SimVehicle

from .harness import TOKEN, HomeAssistantStepper, server_url, start_server
from .metrics import Tap, day_result
from .scenario import BenchDay

ZONE = ZoneInfo("Europe/Amsterdam")
VIN = "LRW3E7EK4NC000015"
ACCOUNT = "6f6a7d30-0000-4000-8000-0000000be015"
TARGET = 80
DEPARTURE_TOLERANCE = 1.0
"""Percent below the target that still counts as ready: a car that reached its limit and
stays awake loses about 0.3 % an hour (250 W) until departure, and shows whole percent."""
PRICE_ENTITY = "sensor.nordpool_kwh_nl_eur_3_10_0"
PUBLISHED_AT = time(13, 0)
"""When the sensor shows the next day's prices."""
START_BEFORE_PLUG_IN = timedelta(minutes=58)
AFTER_DEPARTURE = timedelta(minutes=15)
"""The run goes on this long after departure: what the planner does when the departure
passes (it plans the next one) counts to the night."""
CAPACITY_KWH = 75.0
AMPS, VOLTS, PHASES = 16, 230, 3
POWER_KW = AMPS * VOLTS * PHASES / 1000
FIRMWARE = {"new": "2025.20.6 4c5ad9d1b3a0", "old": "2023.44.30.8 06f534d46010"}
FIRMWARE_LABEL = {"new": "2025.20 (charge schedules)", "old": "2023.44 (scheduled charging)"}
PLUG_IN, READY_BY = "plug_in", "ready_by"
RUNS = [(PLUG_IN, "new"), (READY_BY, "new"), (READY_BY, "old")]
"""(policy, firmware) per night."""


@dataclass(frozen=True, slots=True)
class Night:
    """One night: when the car comes and goes, its charge, and the prices."""

    key: str
    name: str
    plug_in: datetime
    """Local, aware."""
    departure: datetime
    battery: float
    prices: dict[date, tuple[float, ...]]
    """Each local day's price (EUR/kWh) by the hour of the local clock, 0-23.  On the
    night the clocks go back 02:00 comes twice and costs the same both times; on the
    night they go forward there is no 02:00."""
    reachable: bool = True

    @property
    def start(self) -> datetime:
        """Home Assistant starts 58 minutes before plug-in; the car is parked, awake, and
        falls asleep.  Its 5-minute state check then comes 2 minutes after the plug-in
        (in life anywhere from 0 to 5): the car charges that long before a plan reaches it.
        """
        return self.plug_in - START_BEFORE_PLUG_IN

    @property
    def end(self) -> datetime:
        return self.departure + AFTER_DEPARTURE

    @property
    def minutes(self) -> int:
        # Timestamps: aware datetimes in one zone subtract as wall clocks, which is an
        # hour off on the nights the clocks change.
        return round((self.end.timestamp() - self.start.timestamp()) / 60)

    def hours(self, day: date) -> list[tuple[datetime, datetime, float]]:
        """The day's hourly prices as (start, end, price), start and end in UTC."""
        shape = self.prices[day]
        first = datetime.combine(day, time(0), ZONE).astimezone(UTC)
        last = datetime.combine(day + timedelta(days=1), time(0), ZONE).astimezone(UTC)
        out: list[tuple[datetime, datetime, float]] = []
        moment = first
        while moment < last:
            out.append((moment, moment + timedelta(hours=1), shape[moment.astimezone(ZONE).hour]))
            moment += timedelta(hours=1)
        return out

    def price_at(self, moment: datetime) -> float:
        """The price of the hour ``moment`` lies in (every hour of the night has one)."""
        day = moment.astimezone(ZONE).date()
        return next(p for start, end, p in self.hours(day) if start <= moment < end)

    def sensor(self, now: datetime) -> tuple[str, dict[str, Any]]:
        """The Nord Pool sensor's state and attributes at ``now``."""
        today = now.astimezone(ZONE).date()
        tomorrow = today + timedelta(days=1)
        published = now.astimezone(ZONE).time() >= PUBLISHED_AT and tomorrow in self.prices

        def raw(day: date) -> list[dict[str, Any]]:
            return [
                {
                    "start": start.astimezone(ZONE).isoformat(),
                    "end": end.astimezone(ZONE).isoformat(),
                    "value": price,
                }
                for start, end, price in self.hours(day)
            ]

        raw_today = raw(today) if today in self.prices else []
        raw_tomorrow = raw(tomorrow) if published else []
        attributes = {
            "unit_of_measurement": "EUR/kWh",
            "currency": "EUR",
            "raw_today": raw_today,
            "raw_tomorrow": raw_tomorrow,
            "today": [item["value"] for item in raw_today],
            "tomorrow": [item["value"] for item in raw_tomorrow],
            "tomorrow_valid": published,
            "friendly_name": "Nord Pool NL",
        }
        state = self.price_at(now) if today in self.prices else None
        return ("unknown" if state is None else f"{state:.3f}"), attributes

    def spec(self, firmware: str) -> dict[str, Any]:
        """The simulator scenario: the car parked at home, awake, unplugged; plugged in
        at ``plug_in``; driven away at ``departure``."""
        start = self.start.timestamp()
        return {
            "timezone": "Europe/Amsterdam",
            "defaults": {
                "timezone": "Europe/Amsterdam",
                # As the bench days: instant wakes (the frozen clock cannot wait inside a
                # command), a 250 W drain while awake, asleep after 15 quiet minutes.
                "settings": {"sleep_after": 900, "wake_delay": 0, "awake_drain_w": 250},
            },
            "tesla": {
                "accounts": [
                    {
                        "id": ACCOUNT,
                        "email": "ready-by@example.com",
                        "tokens": [
                            {
                                "access_token": TOKEN,
                                "refresh_token": "bench-refresh-token",
                                "expires_in": 864000,
                            }
                        ],
                        "vehicles": [
                            {
                                "fixture": "ha_tesla_fleet_vehicle_data.json",
                                "vin": VIN,
                                "id": 100015,
                                "display_name": "Model 3",
                                "firmware": FIRMWARE[firmware],
                                "battery_level": self.battery,
                                "charge_limit": TARGET,
                                "capacity_kwh": CAPACITY_KWH,
                                "amps": AMPS,
                                "amps_max": AMPS,
                                "pilot_current": AMPS,
                                "voltage": VOLTS,
                                "phases": PHASES,
                                "plugged_in": False,
                                "charging": False,
                                "state": "online",
                            }
                        ],
                    }
                ]
            },
            "timeline": [
                {"at": self.plug_in.timestamp() - start, "vin": VIN, "action": "plug_in"},
                {
                    "at": self.departure.timestamp() - start,
                    "vin": VIN,
                    "action": "drive",
                    "minutes": 30,
                    "miles": 15,
                },
            ],
        }


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE)


# Day-ahead prices as the Nord Pool sensor shows them (EUR/kWh, no taxes), by local hour.
WINTER_WEEKDAY = (0.095, 0.090, 0.086, 0.084, 0.085, 0.092, 0.120, 0.165, 0.190, 0.170, 0.150, 0.140,
                  0.135, 0.138, 0.145, 0.160, 0.195, 0.245, 0.270, 0.240, 0.195, 0.160, 0.130, 0.110)  # fmt: skip
WINDY_SUNDAY = (0.080, 0.075, 0.070, 0.068, 0.066, 0.067, 0.070, 0.075, 0.080, 0.078, 0.070, 0.062,
                0.058, 0.060, 0.068, 0.085, 0.110, 0.140, 0.150, 0.130, 0.100, 0.070, 0.030, 0.010)  # fmt: skip
STORMY_MONDAY = (-0.004, -0.012, -0.025, -0.031, -0.020, -0.002, 0.045, 0.110, 0.135, 0.120, 0.100, 0.090,
                 0.085, 0.088, 0.095, 0.110, 0.140, 0.180, 0.200, 0.170, 0.140, 0.120, 0.100, 0.090)  # fmt: skip
WINTER_SATURDAY = (0.100, 0.095, 0.090, 0.088, 0.088, 0.090, 0.095, 0.105, 0.120, 0.130, 0.125, 0.115,
                   0.110, 0.110, 0.120, 0.140, 0.175, 0.210, 0.220, 0.200, 0.170, 0.150, 0.130, 0.115)  # fmt: skip
WINTER_SUNDAY = (0.105, 0.098, 0.090, 0.085, 0.083, 0.085, 0.090, 0.095, 0.100, 0.105, 0.100, 0.095,
                 0.090, 0.092, 0.100, 0.120, 0.160, 0.195, 0.205, 0.185, 0.160, 0.140, 0.120, 0.105)  # fmt: skip
AUTUMN_SATURDAY = (0.085, 0.080, 0.076, 0.074, 0.075, 0.080, 0.090, 0.100, 0.110, 0.105, 0.095, 0.085,
                   0.080, 0.082, 0.090, 0.105, 0.140, 0.185, 0.200, 0.175, 0.140, 0.115, 0.100, 0.090)  # fmt: skip
AUTUMN_SUNDAY = (0.082, 0.076, 0.068, 0.064, 0.066, 0.072, 0.080, 0.088, 0.092, 0.085, 0.075, 0.065,
                 0.060, 0.062, 0.070, 0.090, 0.130, 0.170, 0.180, 0.160, 0.130, 0.110, 0.095, 0.088)  # fmt: skip
SPRING_SATURDAY = (0.070, 0.066, 0.062, 0.060, 0.061, 0.066, 0.075, 0.085, 0.080, 0.060, 0.040, 0.025,
                   0.018, 0.020, 0.035, 0.060, 0.095, 0.135, 0.150, 0.130, 0.105, 0.090, 0.080, 0.074)  # fmt: skip
SPRING_SUNDAY = (0.068, 0.063, 0.058, 0.056, 0.057, 0.062, 0.070, 0.075, 0.065, 0.045, 0.025, 0.010,
                 0.005, 0.008, 0.025, 0.055, 0.090, 0.130, 0.145, 0.125, 0.100, 0.088, 0.078, 0.072)  # fmt: skip

_TUESDAY = date(2026, 12, 8)
_SUNDAY = date(2026, 11, 15)
_SATURDAY = date(2026, 12, 12)
_OCTOBER = date(2026, 10, 24)
_MARCH = date(2026, 3, 28)
_THURSDAY = date(2026, 12, 10)
_next = timedelta(days=1)

NIGHTS = [
    Night(
        "winter",
        "Winter weekday (Tue 8 Dec 2026): dear evening peak, cheap night",
        plug_in=_local(_TUESDAY, 18),
        departure=_local(_TUESDAY + _next, 7),
        battery=35,
        prices={_TUESDAY: WINTER_WEEKDAY, _TUESDAY + _next: WINTER_WEEKDAY},
    ),
    Night(
        "negative",
        "Stormy night (Sun 15 Nov 2026): negative prices from midnight to 06:00",
        plug_in=_local(_SUNDAY, 18),
        departure=_local(_SUNDAY + _next, 7),
        battery=30,
        prices={_SUNDAY: WINDY_SUNDAY, _SUNDAY + _next: STORMY_MONDAY},
    ),
    Night(
        "late_prices",
        "Plugged in at 10:00 (Sat 12 Dec 2026): Sunday's prices appear at 13:00",
        plug_in=_local(_SATURDAY, 10),
        departure=_local(_SATURDAY + _next, 7),
        battery=40,
        prices={_SATURDAY: WINTER_SATURDAY, _SATURDAY + _next: WINTER_SUNDAY},
    ),
    Night(
        "clocks_back",
        "Clocks go back (Sat 24 Oct 2026): a 25-hour Sunday, 02:00-03:00 twice",
        plug_in=_local(_OCTOBER, 18),
        departure=_local(_OCTOBER + _next, 7),
        battery=35,
        prices={_OCTOBER: AUTUMN_SATURDAY, _OCTOBER + _next: AUTUMN_SUNDAY},
    ),
    Night(
        "clocks_forward",
        "Clocks go forward (Sat 28 Mar 2026): a 23-hour Sunday, no 02:00",
        plug_in=_local(_MARCH, 18),
        departure=_local(_MARCH + _next, 7),
        battery=35,
        prices={_MARCH: SPRING_SATURDAY, _MARCH + _next: SPRING_SUNDAY},
    ),
    Night(
        "tight",
        "Home at 01:00 with 10 % (Fri 11 Dec 2026), away at 05:30: 80 % cannot be reached",
        plug_in=_local(_THURSDAY + _next, 1),
        departure=_local(_THURSDAY + _next, 5, 30),
        battery=10,
        prices={_THURSDAY: WINTER_WEEKDAY, _THURSDAY + _next: WINTER_WEEKDAY},
        reachable=False,
    ),
]
NIGHT_BY_KEY = {night.key: night for night in NIGHTS}


def result_name(night: str, policy: str, firmware: str) -> str:
    return f"ready_by-{night}-{policy}-{firmware}"


# ------------------------------------------------------------------------ measuring
@dataclass
class Meter:
    """Every piece of energy that went into the battery, with when: a hook on the car's
    integration step, which runs over stretches in which nothing changes."""

    car: SimVehicle
    pieces: list[tuple[float, float, float]] = field(default_factory=list)
    """(from, to, kWh)."""

    def __post_init__(self) -> None:
        car = self.car
        original: Callable[[float], None] = car._integrate  # noqa: SLF001

        def integrate(seconds: float) -> None:
            begin, before = car.t, car.energy_added
            original(seconds)
            # energy_added is reset only at plug-in, never inside a step.
            gained = car.energy_added - before
            if gained > 1e-12:
                self.pieces.append((begin, begin + seconds, gained))

        car._integrate = integrate  # type: ignore[method-assign]  # noqa: SLF001

    def by_hour(self) -> dict[float, float]:
        """kWh charged in each UTC hour (its start, epoch seconds); a step that runs over
        an hour's end is split in proportion (the power is constant within it)."""
        hours: dict[float, float] = {}
        for begin, end, kwh in self.pieces:
            moment = begin
            while moment < end - 1e-9:
                hour = moment - moment % 3600
                upto = min(end, hour + 3600)
                share = kwh * (upto - moment) / (end - begin) if end > begin else kwh
                hours[hour] = hours.get(hour, 0.0) + share
                moment = upto
        return hours


def _hours(night: Night) -> list[float]:
    """The start of every hour the run touches (epoch seconds)."""
    start, end = round(night.start.timestamp()), round(night.end.timestamp())
    return [float(h) for h in range(start - start % 3600, end, 3600)]


def cheapest_cost(night: Night, kwh: float) -> float:
    """What ``kwh`` would cost in the night's cheapest hours between plug-in and
    departure at the car's full power, prices known in advance: the floor for any plan."""
    slots: list[tuple[float, float]] = []  # (price, hours available)
    moment = night.plug_in.astimezone(UTC)
    departure = night.departure.astimezone(UTC)
    while moment < departure:
        upto = min(moment.replace(minute=0, second=0) + timedelta(hours=1), departure)
        slots.append((night.price_at(moment), (upto - moment).total_seconds() / 3600))
        moment = upto
    cost, left = 0.0, kwh
    for price, hours in sorted(slots):
        take = min(left, hours * POWER_KW)
        cost += take * price
        left -= take
        if left <= 1e-9:
            break
    return cost


@dataclass
class PlanLog:
    """The plan sensor's states as they changed, with the simulated time."""

    states: list[tuple[float, str]] = field(default_factory=list)
    changes: list[tuple[float, str, str]] = field(default_factory=list)
    """Every change of state or windows: (t, state, windows in local time)."""
    last_attributes: dict[str, Any] = field(default_factory=dict)
    """The attributes shown last before departure."""
    first_written: dict[str, Any] = field(default_factory=dict)
    """The attributes of the first plan written into the car (at plug-in)."""


def _spans(windows: Any) -> str:
    """``"01:30-05:00, 23:45-00:00"``: a plan's windows on the local clock."""
    if not isinstance(windows, list):
        return ""
    return ", ".join(
        f"{datetime.fromisoformat(w['start']).astimezone(ZONE):%H:%M}-"
        f"{datetime.fromisoformat(w['end']).astimezone(ZONE):%H:%M}"
        for w in windows
    )


def _plan_summary(attributes: dict[str, Any]) -> dict[str, Any]:
    keys = ("windows", "expected_soc", "expected_cost", "explanation", "charge_rate_percent_per_hour")
    return {key: attributes.get(key) for key in keys} | {"spans": _spans(attributes.get("windows"))}


# ------------------------------------------------------------------------------ run
async def run_night(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, night: Night, policy: str, firmware: str
) -> dict[str, Any]:
    """One policy through one night; the numbers for the report."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    start = night.start.timestamp()
    departure = night.departure.timestamp()
    freezer.move_to(night.start.astimezone(UTC))
    clock = FakeClock(start=start)
    spec = night.spec(firmware)
    world = build_world(spec, clock)
    car = world.vehicles[VIN]
    tap = Tap(world, [VIN])
    meter = Meter(car)
    server = await start_server(world)
    stepper = HomeAssistantStepper(hass, freezer, clock)

    def show_prices() -> None:
        state, attributes = night.sensor(datetime.fromtimestamp(clock.now(), UTC))
        hass.states.async_set(PRICE_ENTITY, state, attributes)

    show_prices()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="bench ready-by",
        unique_id=f"bench-ready-by-{night.key}",
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            CONF_API_URL: server_url(server),
            CONF_ACCESS_TOKEN: TOKEN,
            CONF_VEHICLES: [VIN],
        },
        options={"price_entity": PRICE_ENTITY} if policy == READY_BY else {},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await stepper.settle()

    plan = PlanLog()
    if policy == READY_BY:
        plan_entity = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{VIN}_charging_plan")
        assert plan_entity is not None, "the car has no planner (no Capability.CHARGE_PLAN)"

        @callback
        def plan_changed(event: Event[EventStateChangedData]) -> None:
            new = event.data["new_state"]
            if new is None:
                return
            if not plan.states or plan.states[-1][1] != new.state:
                plan.states.append((clock.now(), new.state))
            windows = _spans(new.attributes.get("windows"))
            if not plan.changes or plan.changes[-1][1:] != (new.state, windows):
                plan.changes.append((clock.now(), new.state, windows))
            if clock.now() < departure:
                plan.last_attributes = dict(new.attributes)
            if not plan.first_written and new.attributes.get("written_to_car") is True:
                plan.first_written = dict(new.attributes)

        unsubscribe = async_track_state_change_event(hass, [plan_entity], plan_changed)
        # Not async_get_device: newer Home Assistant refuses it (identifiers are unique
        # per config entry only).
        device = next(
            d
            for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
            if (DOMAIN, VIN) in d.identifiers
        )
        # The owner set this up long ago; here, an hour before the car comes home.
        await hass.services.async_call(
            DOMAIN,
            "plan_charging",
            {
                "device_id": device.id,
                "target_soc": TARGET,
                "departure_time": night.departure.strftime("%H:%M"),
            },
            blocking=True,
        )
        await stepper.settle()
        state = hass.states.get(plan_entity)
        assert state is not None
        plan.states.append((clock.now(), state.state))
        plan.last_attributes = dict(state.attributes)

    soc: list[float] = []
    power: list[float] = []
    for minute in range(night.minutes + 1):
        boundary = start + minute * 60
        await stepper.advance_to(boundary)
        if round(boundary) % 3600 == 0:
            show_prices()  # the sensor's hourly update (and the 13:00 publication)
            await stepper.settle()
        tap.sample()
        soc.append(round(car.battery_level, 3))
        power.append(round(car.power_kw, 2))
        if policy == PLUG_IN and boundary == night.plug_in.timestamp() + 60:
            # The baseline is what a car without a schedule does: charge at once.
            assert car.charging, f"not charging a minute after plug-in: {car.charging_state}"
    if policy == READY_BY:
        unsubscribe()
    await hass.config_entries.async_unload(entry.entry_id)
    await server.close()

    day = BenchDay(
        key=f"ready_by-{night.key}",
        name=night.name,
        spec=spec,
        start=start,
        minutes=night.minutes,
        vins=[VIN],
        requests=[],
    )
    billed = day_result(policy, day, keep_awake=False, tap=tap, sleep_after=900)
    by_hour = meter.by_hour()
    energy = sum(by_hour.values())
    cost = sum(kwh * night.price_at(datetime.fromtimestamp(hour, UTC)) for hour, kwh in by_hour.items())
    at_departure = next(s.battery for s in tap.samples[VIN] if abs(s.t - departure) < 1e-6)
    unreachable_at = next((t for t, state in plan.states if state == "unreachable"), None)
    return {
        "night": night.key,
        "night_index": [n.key for n in NIGHTS].index(night.key),
        "night_name": night.name,
        "policy": policy,
        "firmware": firmware,
        "reachable": night.reachable,
        "target": TARGET,
        "start": start,
        "plug_in": night.plug_in.timestamp(),
        "departure": departure,
        "battery_start": night.battery,
        "battery_at_departure": at_departure,
        "deadline_met": at_departure >= TARGET - DEPARTURE_TOLERANCE,
        "energy_kwh": round(energy, 3),
        "cost_eur": round(cost, 4),
        "cheapest_eur": round(cheapest_cost(night, energy), 4),
        "energy_by_hour": {str(round(h)): round(kwh, 4) for h, kwh in sorted(by_hour.items())},
        "commands": [
            {"t": round(c.t - start, 1), "name": c.name, "params": c.params, "result": c.result}
            for c in tap.commands
        ],
        "commands_sent": billed["commands_sent"],
        "requests": billed["requests"],
        "api_cost_usd": billed["cost_usd"],
        "wakes": billed["wakes"],
        "wakes_unasked": billed["wakes_unasked"],
        "plan_states": [[round(t - start, 1), state] for t, state in plan.states],
        "plan_changes": [[round(t - start, 1), state, spans] for t, state, spans in plan.changes],
        "unreachable_shown_s": None if unreachable_at is None else round(unreachable_at - start, 1),
        "plan": _plan_summary(plan.last_attributes),
        "plan_written": _plan_summary(plan.first_written),
        "prices": [[round(h - start), night.price_at(datetime.fromtimestamp(h, UTC))] for h in _hours(night)],
        "series": {
            "t": [round(s.t - start) for s in tap.samples[VIN]],
            "battery": soc,
            "power_kw": power,
        },
        "steps": stepper.steps,
    }
