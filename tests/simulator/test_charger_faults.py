"""The charger faults the charging watchdog is tested against: a charger that holds the
car back (the start is accepted, nothing flows) and one that stalls while the car goes
on saying it charges."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import FakeClock, World
from simulator.tesla.vehicle import SimVehicle

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(
            battery_level=50,
            charge_limit=80,
            settings={"wake_delay": 0, "starting_seconds": 5},
        )
    )


@pytest.fixture
def car(world: World) -> SimVehicle:
    return world.vehicles[VIN]


def run(world: World, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    world.sync()


def test_a_held_car_accepts_a_start_tries_and_falls_back_to_stopped(
    world: World, clock: FakeClock, car: SimVehicle
) -> None:
    car.held = True
    assert car.command("charge_start", {}) == (True, "")
    assert car.charging_state == "Starting"
    run(world, clock, 600)
    assert car.charging_state == "Stopped"
    assert car.battery_level == 50
    assert car.charge_state()["charger_actual_current"] == 0


def test_a_released_car_waits_to_be_started_again(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.held = True
    car.command("charge_start", {})
    run(world, clock, 60)
    car.held = False
    run(world, clock, 600)
    assert car.charging_state == "Stopped"
    assert car.command("charge_start", {}) == (True, "")
    run(world, clock, 10)
    assert car.charging_state == "Charging"
    assert car.battery_level > 50


def test_a_stalled_car_says_it_charges_and_draws_nothing(
    world: World, clock: FakeClock, car: SimVehicle
) -> None:
    car.command("charge_start", {})
    run(world, clock, 10)
    car.stalled = True
    level = car.battery_level
    run(world, clock, 600)
    state = car.charge_state()
    assert (state["charging_state"], state["charger_actual_current"], state["charger_power"]) == (
        "Charging",
        0,
        0,
    )
    # No energy flows: the level stays where the stall caught it.
    assert car.battery_level == pytest.approx(level)


@pytest.mark.parametrize("action", ["hold", "stall"])
async def test_the_admin_switches_a_fault_on_and_off(sim: SimulatorHandle, action: str) -> None:
    await sim.vehicle(action=action)
    car = sim.world.vehicles[VIN]
    assert (car.held, car.stalled) == ((True, False) if action == "hold" else (False, True))
    await sim.vehicle(action=action, on=False)
    assert (car.held, car.stalled) == (False, False)


@pytest.mark.parametrize("on", ["false", 0, None])
async def test_a_fault_switch_that_is_not_a_boolean_is_refused(sim: SimulatorHandle, on: Any) -> None:
    async with sim.admin.post(f"{sim.url}/sim/vehicles/{VIN}", json={"action": "hold", "on": on}) as reply:
        assert reply.status == 400
    assert sim.world.vehicles[VIN].held is False
