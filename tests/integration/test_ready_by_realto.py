"""The ready-by planner on a re.alto EV: the plan as scheduled charging windows.

The ID.4 charges at 16 A on one 230 V phase into 36.8 kWh (10 % an hour); Home
Assistant is in Amsterdam; both clocks start on Friday 4 December 2026, 18:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import DOMAIN
from simulator import FakeClock

from ..helpers import ENTITY_ID, REALTO_TOKEN, SimulatorHandle, realto_entity_spec, realto_spec
from .common import device_for, entity_state, move_both_clocks, realto_commands, realto_entry_data
from .test_ready_by import START, local, nordpool

SWITCH = "switch.id_4_ready_by_charging"
PLAN = "sensor.id_4_charging_plan"
PRICES = "sensor.electricity_price"
# Friday evening cheap at 20:00-21:00, Saturday cheap at 03:00-05:00: two windows.
FRIDAY = [0.20] * 18 + [0.40, 0.35, 0.05, 0.30, 0.32, 0.34]
SATURDAY = [0.30, 0.28, 0.26, 0.06, 0.04, 0.25, 0.33, 0.40] + [0.30] * 16


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(
        realto_entity_spec(battery_level=50, capacity_kwh=36.8, amps=16, voltage=230, phases=1),
        cooldown={"mode": "reject", "status": 409, "seconds": 600},
    )


@pytest.fixture
def entry_data(sim: SimulatorHandle) -> dict[str, Any]:
    return realto_entry_data(sim)


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FakeClock:
    freezer.move_to(START)
    return FakeClock(start=START.timestamp())


@pytest.fixture(autouse=True)
async def amsterdam(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Amsterdam")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, prices: dict[str, Any] | None) -> None:
    if prices is not None:
        hass.states.async_set(PRICES, "0.25", prices)
        hass.config_entries.async_update_entry(entry, options={"price_entity": PRICES})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _pending(commands: list[dict[str, Any]]) -> list[tuple[str, datetime]]:
    return sorted(
        (c["type"], datetime.fromisoformat(c["triggerTime"].replace("Z", "+00:00")))
        for c in commands
        if c["status"] == "Pending"
    )


def _device_id(hass: HomeAssistant) -> str:
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    return device.id


async def test_the_plan_becomes_windows_the_platform_runs(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await _setup(hass, config_entry, nordpool(FRIDAY, SATURDAY))
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert entity_state(hass, PLAN) == "planned"
    friday, saturday = date(2026, 12, 4), date(2026, 12, 5)
    utc = lambda moment: moment.astimezone(UTC)  # noqa: E731
    assert _pending(await realto_commands(sim)) == [
        ("StartCharging", utc(local(friday, 20))),
        ("StartCharging", utc(local(saturday, 3))),
        ("StopCharging", utc(local(friday, 21))),
        ("StopCharging", utc(local(saturday, 5, 30))),
    ]
    # The platform runs them; the car is at 80 % or more by 07:00.
    for _ in range(13 * 4):
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=15))
    assert int(entity_state(hass, "sensor.id_4_battery")) >= 80


async def test_a_new_plan_replaces_only_its_own_windows(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await _setup(hass, config_entry, None)
    # The user's own window, tonight 22:00-22:30.
    await hass.services.async_call(
        DOMAIN,
        "schedule_charging",
        {"device_id": _device_id(hass), "start": "2026-12-04 22:00:00", "end": "2026-12-04 22:30:00"},
        blocking=True,
    )
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    saturday = date(2026, 12, 5)
    own = [
        ("StartCharging", datetime(2026, 12, 4, 21, tzinfo=UTC)),
        ("StopCharging", datetime(2026, 12, 4, 21, 30, tzinfo=UTC)),
    ]
    # 30 %: 3 h 30 before 07:00, as late as possible (no prices).
    assert _pending(await realto_commands(sim)) == sorted(
        [
            *own,
            ("StartCharging", local(saturday, 3, 30).astimezone(UTC)),
            ("StopCharging", local(saturday, 7).astimezone(UTC)),
        ]
    )
    # A later departure: the plan's window moves, the user's stays.
    await hass.services.async_call(
        DOMAIN, "plan_charging", {"device_id": _device_id(hass), "departure_time": "08:00"}, blocking=True
    )
    assert _pending(await realto_commands(sim)) == sorted(
        [
            *own,
            ("StartCharging", local(saturday, 4, 30).astimezone(UTC)),
            ("StopCharging", local(saturday, 8).astimezone(UTC)),
        ]
    )
    # The same plan again sends nothing.
    before = len(await realto_commands(sim))
    await hass.services.async_call(
        DOMAIN, "plan_charging", {"device_id": _device_id(hass), "departure_time": "08:00"}, blocking=True
    )
    assert len(await realto_commands(sim)) == before
    # Off: the plan's window goes, the user's stays.
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert _pending(await realto_commands(sim)) == own


async def test_a_window_cancelled_in_the_app_is_seen(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await _setup(hass, config_entry, None)
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    planner = config_entry.runtime_data.planners[ENTITY_ID]
    assert planner.vehicle.charge_plan_intact() is None  # not read since it was written
    await move_both_clocks(hass, sim, freezer, timedelta(minutes=11))  # the next reading
    assert planner.vehicle.charge_plan_intact() is True
    # The re.alto app cancels the plan's start.
    start = next(c for c in await realto_commands(sim) if c["type"] == "StartCharging")
    url = f"{sim.url}/api/v1/entities/{ENTITY_ID}/commands/{start['id']}/cancel"
    async with sim.admin.patch(url, headers={"Authorization": f"Bearer {REALTO_TOKEN}"}) as response:
        assert response.status == 200, await response.text()
    for _ in range(14 * 4):  # the plan's commands are followed from their time on
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=15))
        if planner.vehicle.charge_plan_intact() is False:
            break
    assert planner.vehicle.charge_plan_intact() is False
