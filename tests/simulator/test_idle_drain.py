"""The optional idle drain: an awake, idle car loses charge; asleep or charging it does not."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import FakeClock, World
from simulator.tesla.vehicle import SimVehicle

from ..helpers import VIN, account_spec, vehicle_spec

CAPACITY = 60.0
DRAIN_W = 300.0
PCT_PER_HOUR = DRAIN_W / 1000 / CAPACITY * 100


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(
            battery_level=50,
            charge_limit=80,
            capacity_kwh=CAPACITY,
            settings={"wake_delay": 0, "sleep_after": 3600, "awake_drain_w": DRAIN_W},
        )
    )


@pytest.fixture
def car(world: World) -> SimVehicle:
    return world.vehicles[VIN]


def run(world: World, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    world.sync()


def test_awake_then_asleep(world: World, clock: FakeClock, car: SimVehicle) -> None:
    run(world, clock, 7200)  # awake for the first hour, asleep for the second
    assert car.state == "asleep"
    assert car.battery_level == pytest.approx(50 - PCT_PER_HOUR)


def test_no_drain_while_charging(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.settings.update({"starting_seconds": 0})
    assert car.command("charge_start", {}) == (True, "")
    level = car.battery_level
    run(world, clock, 600)
    assert car.charging_state == "Charging"
    assert car.battery_level > level


def test_off_by_default(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.settings.update({"awake_drain_w": 0})
    run(world, clock, 1800)
    assert car.battery_level == 50
