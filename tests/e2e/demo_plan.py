"""The demo's charging plan: a simulated price sensor, and the ready-by planner on for the Model 3.

``scripts/develop`` shows a plan on the dashboard without a price integration: the demo
writes a sensor shaped like the Nord Pool integration's (HACS) into Home Assistant's
state machine over the REST API, with prices for today and tomorrow made up from the
date (a winter or a summer day's shape, a little lower at weekends), points the Tesla
entry's ``price_entity`` option at it, and asks for 80 % by 07:00 for the Model 3
(``ev_charge_control.plan_charging``).  A state set over the REST API lives until Home
Assistant stops, so the demo writes it again every few minutes (``keep_prices``): the
hour's price moves on, tomorrow becomes today at midnight, and a restart from the
frontend finds it back soon.

The Model 3 is asleep in the demo's scenario, and the integration never wakes a car to
read it: until it is read, the plan waits for its charge level.  So the demo wakes it
on the simulator, as the owner opening the Tesla app would, and asks Home Assistant to
refresh it.  The end-to-end tests run the same set-up (``test_home_assistant.py``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
import json
from pathlib import Path
import random
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from .harness import DEMO_TESLA_EMAIL, DOMAIN, Api, Car, SimulatorAdmin, client_id, eventually

PRICE_ENTITY = "sensor.electricity_price"
ZONE = ZoneInfo("Europe/Amsterdam")
"""The demo's and the end-to-end tests' time zone (their configuration.yaml)."""
TARGET = 80
DEPARTURE = "07:00"
PLANNED = ("planned", "unreachable", "at_target")
PLAN_WAIT = 120.0
"""Seconds to wait for the plan (see ``show_plan``)."""

# Day-ahead prices by the hour of the local clock (EUR/kWh, no taxes), shaped after
# Dutch ones: in winter a dear evening and a cheap night; in summer solar makes midday
# the cheapest (below zero on sunny days), and the evening the dearest.
WINTER = (0.095, 0.090, 0.086, 0.084, 0.085, 0.092, 0.120, 0.165, 0.190, 0.170, 0.150, 0.140,
          0.135, 0.138, 0.145, 0.160, 0.195, 0.245, 0.270, 0.240, 0.195, 0.160, 0.130, 0.110)  # fmt: skip
SUMMER = (0.095, 0.088, 0.082, 0.080, 0.082, 0.088, 0.095, 0.100, 0.085, 0.060, 0.035, 0.015,
          0.005, -0.005, 0.010, 0.040, 0.080, 0.120, 0.160, 0.190, 0.175, 0.140, 0.115, 0.100)  # fmt: skip
WINTER_MONTHS = (10, 11, 12, 1, 2, 3)


def day_prices(day: date) -> tuple[float, ...]:
    """The day's price for each hour of the local clock, the same every time it is asked."""
    shape = WINTER if day.month in WINTER_MONTHS else SUMMER
    weekend = 0.9 if day.weekday() >= 5 else 1.0
    wiggle = random.Random(day.toordinal())  # the same made-up prices on every call
    return tuple(round(price * weekend + wiggle.uniform(-0.004, 0.004), 4) for price in shape)


def raw_day(day: date, zone: tzinfo = ZONE) -> list[dict[str, Any]]:
    """The day's hours as the Nord Pool sensor lists them: ``{start, end, value}`` with the
    local offset; 23 or 25 of them on the days the clocks change."""
    prices = day_prices(day)
    moment = datetime.combine(day, time(0), zone).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    hours: list[dict[str, Any]] = []
    while moment < last:
        local = moment.astimezone(zone)
        hours.append(
            {
                "start": local.isoformat(),
                "end": (moment + timedelta(hours=1)).astimezone(zone).isoformat(),
                "value": prices[local.hour],
            }
        )
        moment += timedelta(hours=1)
    return hours


def price_sensor(now: datetime, zone: tzinfo = ZONE) -> dict[str, Any]:
    """The body of ``POST /api/states/<PRICE_ENTITY>`` at ``now``: today's and tomorrow's prices."""
    today = now.astimezone(zone).date()
    raw_today, raw_tomorrow = raw_day(today, zone), raw_day(today + timedelta(days=1), zone)
    current = day_prices(today)[now.astimezone(zone).hour]
    return {
        "state": f"{current:.4f}",
        "attributes": {
            "friendly_name": "Electricity price (simulated Nord Pool)",
            "unit_of_measurement": "EUR/kWh",
            "currency": "EUR",
            "icon": "mdi:flash",
            "raw_today": raw_today,
            "raw_tomorrow": raw_tomorrow,
            "today": [hour["value"] for hour in raw_today],
            "tomorrow": [hour["value"] for hour in raw_tomorrow],
            "tomorrow_valid": True,
        },
    }


async def show_prices(api: Api, now: datetime | None = None) -> None:
    await api.post(f"/api/states/{PRICE_ENTITY}", price_sensor(now or datetime.now(UTC)))


async def choose_price_sensor(api: Api) -> None:
    """The Tesla entry's options, as the options dialog sets them: the price sensor."""
    entry = next(e for e in await api.entries() if e["title"] == DEMO_TESLA_EMAIL)
    flow = await api.post("/api/config/config_entries/options/flow", {"handler": entry["entry_id"]})
    result = await api.post(
        f"/api/config/config_entries/options/flow/{flow['flow_id']}", {"price_entity": PRICE_ENTITY}
    )
    if result.get("type") != "create_entry":
        raise AssertionError(f"the options dialog: {result}")


async def wake(sim: SimulatorAdmin, vin: str) -> None:
    """The owner opens the Tesla app: the car wakes (and falls asleep 15 minutes later)."""
    await sim.post(f"/sim/vehicles/{vin}", {"action": "state", "state": "online"})


async def show_plan(api: Api, sim: SimulatorAdmin, car: Car, vin: str) -> dict[str, Any]:
    """Prices, the option, the planner on, and the car read; the plan sensor's state.

    The demo wakes the car before Home Assistant starts, so it is read at set-up and the
    plan comes with the action (on a later run the planner is on already and plans again
    30 s after the price sensor appears).  A car read only now (the end-to-end tests, where it may
    be asleep) is asked for until Home Assistant reads it: the account's shared state
    check is reused for 30 s, and the planner plans 30 s after the reading.
    """
    await show_prices(api)
    await choose_price_sensor(api)
    await wake(sim, vin)
    await api.call_service(
        DOMAIN,
        "plan_charging",
        {"device_id": car.device_id, "target_soc": TARGET, "departure_time": DEPARTURE},
    )
    plan = car.entities["sensor.charging_plan"]

    async def planned() -> dict[str, Any]:
        state = await api.state(plan)
        if state["state"] not in PLANNED:
            await api.call_service("homeassistant", "update_entity", {"entity_id": plan})
        assert state["state"] in PLANNED, f"{plan} is {state['state']}"
        # A plan made at start-up, before the sensor was written, is made again with the
        # prices 30 s after they came.
        assert state["attributes"].get("prices_until"), f"{plan} has no prices yet"
        return state

    return await eventually(planned, timeout=PLAN_WAIT, what=f"{plan} showing a plan", interval=5)


def forget_written_plans(config_dir: Path) -> list[str]:
    """Before a later run: the planner's note of the windows it wrote into each car, dropped.

    The simulator starts afresh, and its cars hold no charge schedules; a real car keeps
    them across a restart of Home Assistant.  With the note kept, the planner would take
    the plan as written and report it changed in the car's app (a repair); without it,
    it writes the plan again.  Returns the cars whose note was dropped.
    """
    dropped: list[str] = []
    for path in sorted((config_dir / ".storage").glob(f"{DOMAIN}.ready_by.*")):
        store = json.loads(path.read_text())
        cars = store.get("data") or {}
        changed = [car for car, settings in cars.items() if settings.get("written") is not None]
        if not changed:
            continue
        for car in changed:
            cars[car]["written"] = None
        path.write_text(json.dumps(store, indent=2))
        dropped += changed
    return dropped


async def keep_prices(url: str, refresh_token: str) -> None:
    """Write the price sensor again (called every few minutes while the demo runs).

    With a fresh access token each time: the one from logging in lasts 30 minutes.
    """
    async with aiohttp.ClientSession() as session:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id(url)}
        async with session.post(f"{url}/auth/token", data=data) as response:
            response.raise_for_status()
            access_token = (await response.json())["access_token"]
        await show_prices(Api(session, url, access_token))
