"""What a ready-by plan written into a car meets in the simulator: one-time charge
schedules written late or across a change of the clocks, the owner's app changing a
schedule without the API, and re.alto windows running at their trigger times."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simulator import FakeClock, World, build_world
from simulator.realto.platform import RealtoPlatform
from simulator.tesla.vehicle import SimVehicle

from ..helpers import (
    ENTITY_ID,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_entity_spec,
    realto_spec,
    vehicle_spec,
)
from .conftest import Fleet

TZ = ZoneInfo("Europe/Amsterdam")
NEW_FIRMWARE = "2025.20.6 4c5ad9d1b3a0"
OLD_FIRMWARE = "2024.20.9 a1b2c3"
HOME = {"lat": 52.37, "lon": 4.89}
FRIDAY, SATURDAY, SUNDAY = 32, 64, 1  # days_of_week bits


def car_spec(**overrides: Any) -> dict[str, Any]:
    """10 % an hour: 16 A on one 230 V phase into 36.8 kWh."""
    spec = vehicle_spec(
        firmware=NEW_FIRMWARE,
        battery_level=20,
        charge_limit=90,
        amps=16,
        pilot_current=16,
        voltage=230,
        phases=1,
        capacity_kwh=36.8,
        timezone="Europe/Amsterdam",
        settings={"wake_delay": 0, "sleep_after": 900, "starting_seconds": 0},
    )
    spec.update(overrides)
    return spec


def at(year: int, month: int, day: int, hour: int, minute: int = 0, fold: int = 0) -> float:
    """Epoch seconds of a local time in Amsterdam (``fold=1``: the second of a repeated hour)."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ, fold=fold).timestamp()


def world_at(moment: float, **car: Any) -> tuple[World, FakeClock, SimVehicle]:
    clock = FakeClock(start=moment)
    world = build_world(account_spec(car_spec(**car)), clock)
    return world, clock, world.vehicles[VIN]


def run_to(world: World, clock: FakeClock, moment: float) -> None:
    clock.advance(moment - clock.now())
    world.sync()


def one_time(schedule_id: int, day: int, start: int, end: int | None) -> dict[str, Any]:
    """A plan window as the integration writes it (parameters as the car takes them)."""
    return {
        "id": schedule_id,
        "days_of_week": day,
        "enabled": True,
        "start_enabled": True,
        "start_time": start,
        "end_enabled": end is not None,
        "end_time": end or 0,
        "one_time": True,
        **HOME,
    }


# ------------------------------------------------------------- one-time windows
def test_a_window_written_after_its_start_waits_and_turns_off_at_its_end() -> None:
    """The car does not start a window that has begun: whoever wrote it starts charging."""
    world, clock, car = world_at(at(2026, 12, 4, 20, 30))  # Friday
    car.command("add_charge_schedule", one_time(1_262_304_010, FRIDAY, 20 * 60, 21 * 60))
    run_to(world, clock, at(2026, 12, 4, 20, 59))
    assert car.charging_state == "Stopped"
    run_to(world, clock, at(2026, 12, 4, 21, 1))
    assert car.charge_schedules[1_262_304_010].enabled is False
    run_to(world, clock, at(2026, 12, 11, 21))  # next Friday: nothing
    assert car.charging_state == "Stopped"
    assert [kind for _, kind in car.events if kind.startswith("charge_schedule")] == ["charge_schedule_end"]


def test_a_window_across_midnight_charges_until_its_end_the_next_day() -> None:
    world, clock, car = world_at(at(2026, 12, 4, 18))
    car.command("add_charge_schedule", one_time(1_262_304_010, FRIDAY, 23 * 60, 2 * 60))
    run_to(world, clock, at(2026, 12, 5, 2))
    assert car.charging_state == "Stopped"
    assert car.battery_level == pytest.approx(50, abs=0.1)  # three hours at 10 % an hour
    assert car.charge_schedules[1_262_304_010].enabled is False


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        # 29 March 2026: 02:00 does not happen, 01:00-04:00 on the clock is two hours.
        (at(2026, 3, 29, 1), at(2026, 3, 29, 4), 2),
        # 25 October 2026: 02:00-03:00 happens twice, 01:00-04:00 on the clock is four.
        (at(2026, 10, 25, 1), at(2026, 10, 25, 4), 4),
    ],
)
def test_a_window_across_a_change_of_the_clocks_keeps_its_wall_clock_times(
    start: float, end: float, hours: int
) -> None:
    world, clock, car = world_at(start - 3600)
    car.command("add_charge_schedule", one_time(1_262_304_010, SUNDAY, 60, 4 * 60))
    run_to(world, clock, end + 60)
    assert end - start == hours * 3600
    assert car.battery_level == pytest.approx(20 + 10 * hours, abs=0.1)
    assert [t for t, kind in car.events if kind.startswith("charge_schedule")] == [start, end]


def test_a_window_ending_in_the_hour_that_is_skipped_ends_an_hour_later() -> None:
    """02:30 on 29 March 2026 does not exist; the car reads it with winter time (01:30
    UTC), as Python does for a time in the gap (invented, see the README)."""
    world, clock, car = world_at(at(2026, 3, 29, 0))
    car.command("add_charge_schedule", one_time(1_262_304_010, SUNDAY, 60, 150))
    run_to(world, clock, at(2026, 3, 29, 5))
    assert [t for t, kind in car.events if kind == "charge_schedule_end"] == [at(2026, 3, 29, 3, 30)]


# --------------------------------------------------------------- the owner's app
@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(car_spec(command_signing="required"))


async def app(sim: SimulatorHandle, **body: Any) -> tuple[int, Any]:
    async with sim.admin.post(f"{sim.url}/sim/vehicles/{VIN}/app", json=body) as response:
        return response.status, await response.json()


async def test_the_app_edits_and_removes_a_schedule_of_a_car_that_takes_signed_commands_only(
    sim: SimulatorHandle,
) -> None:
    car = sim.world.vehicles[VIN]
    car.command("add_charge_schedule", one_time(1_262_304_010, FRIDAY, 20 * 60, 21 * 60))
    edited = {**one_time(1_262_304_010, FRIDAY, 19 * 60, 21 * 60), "days_of_week": "Fri"}
    assert await app(sim, command="add_charge_schedule", **edited) == (200, {"result": True, "reason": ""})
    assert car.charge_schedules[1_262_304_010].start_time == 19 * 60
    assert await app(sim, command="remove_charge_schedule", id=1_262_304_010) == (
        200,
        {"result": True, "reason": ""},
    )
    assert car.charge_schedules == {}
    # Not through the API: nothing to see among its requests, nothing billed.
    assert await sim.requests() == []


async def test_the_app_sets_scheduled_charging_on_older_firmware(sim: SimulatorHandle) -> None:
    await sim.vehicle(firmware=OLD_FIRMWARE)
    assert await app(sim, command="set_scheduled_charging", enable=True, time=60) == (
        200,
        {"result": True, "reason": ""},
    )
    charge = (await sim.vehicle())["charge_state"]
    assert (charge["scheduled_charging_mode"], charge["scheduled_charging_start_time_minutes"]) == (
        "StartAt",
        60,
    )


async def test_the_app_leaves_a_sleeping_car_asleep(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="state", state="asleep")
    assert (await app(sim, command="remove_charge_schedule", id=1))[0] == 200
    assert await fleet.state(VIN) == "asleep"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"command": "honk_horn"}, 400),
        ({}, 400),
        ({"command": "remove_charge_schedule"}, 400),  # no id
        ({"command": "set_scheduled_charging", "enable": "yes"}, 400),
        ({"command": "remove_charge_schedule", "id": 1, "colour": "red"}, 400),
    ],
)
async def test_the_app_refuses_what_the_car_would_not_take(
    sim: SimulatorHandle, body: dict[str, Any], status: int
) -> None:
    sim.world.vehicles[VIN].command("add_charge_schedule", one_time(1, FRIDAY, 60, 120))
    assert (await app(sim, **body))[0] == status
    assert list(sim.world.vehicles[VIN].charge_schedules) == [1]


async def test_the_app_cannot_reach_an_offline_car_or_an_unknown_one(sim: SimulatorHandle) -> None:
    await sim.vehicle(action="state", state="offline")
    assert (await app(sim, command="remove_charge_schedule", id=1))[0] == 409
    async with sim.admin.post(
        f"{sim.url}/sim/vehicles/NOPE/app", json={"command": "charge_stop"}
    ) as response:
        assert response.status == 404


# ------------------------------------------------------------------ re.alto
def test_realto_windows_run_at_their_trigger_times_and_a_cancelled_one_holds_no_cooldown() -> None:
    clock = FakeClock(start=at(2026, 12, 4, 18))
    world = build_world(
        realto_spec(realto_entity_spec(battery_level=20, capacity_kwh=36.8, amps=16, voltage=230, phases=1)),
        clock,
    )
    realto: RealtoPlatform = world.realto
    entity = realto.entities[ENTITY_ID]
    window = [(at(2026, 12, 4, 20), "StartCharging", None), (at(2026, 12, 4, 21), "StopCharging", None)]
    created = realto.create_commands(entity, window, ignore_cooldown=False)
    assert isinstance(created, list)
    # Moved by the plan: the old window is cancelled, and the new one may sit where the
    # cancelled one's cooldown would have been.
    for command in created:
        assert realto.cancel(command)
    moved = [(at(2026, 12, 4, 20, 5), "StartCharging", None), (at(2026, 12, 4, 21, 5), "StopCharging", None)]
    commands = realto.create_commands(entity, moved, ignore_cooldown=False)
    assert isinstance(commands, list)
    car = entity.vehicle
    assert car is not None
    clock.advance(at(2026, 12, 4, 20, 5) - clock.now())
    world.sync()
    assert not car.charging  # the start runs its lifecycle (a few seconds) first
    clock.advance(at(2026, 12, 4, 21, 30) - clock.now())
    world.sync()
    assert [c.status for c in commands] == ["Succeeded", "Succeeded"]
    assert [c.status for c in created] == ["Canceled", "Canceled"]
    assert not car.charging
    assert car.battery_level == pytest.approx(30, abs=0.2)  # one hour, less the lifecycle's seconds
