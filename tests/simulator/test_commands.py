"""Every charging command's replies on the car itself: results, refusals, clamping."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import FakeClock, World
from simulator.tesla.vehicle import SimVehicle

from ..helpers import VIN, account_spec, vehicle_spec

OK = (True, "")


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(
            battery_level=60,
            charge_limit=80,
            amps=16,
            amps_max=32,
            pilot_current=32,
            settings={"wake_delay": 0, "starting_seconds": 5},
        )
    )


@pytest.fixture
def car(world: World) -> SimVehicle:
    return world.vehicles[VIN]


def run(world: World, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    world.sync()


# ------------------------------------------------------------------ charge_start
def test_charge_start_starts(car: SimVehicle) -> None:
    assert car.command("charge_start", {}) == OK
    assert car.charging_state == "Starting"
    assert car.latch == "Engaged"


def test_charge_start_refused_when_disconnected(car: SimVehicle) -> None:
    car.unplug()
    assert car.command("charge_start", {}) == (False, "disconnected")
    assert car.charging_state == "Disconnected"


@pytest.mark.parametrize("wait", [0, 10])
def test_charge_start_refused_while_charging(
    world: World, clock: FakeClock, car: SimVehicle, wait: int
) -> None:
    car.command("charge_start", {})
    run(world, clock, wait)  # Starting, then Charging
    assert car.command("charge_start", {}) == (False, "is_charging")


def test_charge_start_refused_when_complete(car: SimVehicle) -> None:
    car.battery_level = 80.0
    assert car.command("charge_start", {}) == (False, "complete")
    assert car.charging_state == "Stopped"


def test_charge_start_refused_without_power(car: SimVehicle) -> None:
    car.set_pilot_current(0)
    assert car.command("charge_start", {}) == (False, "no_power")


# ------------------------------------------------------------------- charge_stop
def test_charge_stop_stops(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.command("charge_start", {})
    run(world, clock, 60)
    assert car.command("charge_stop", {}) == OK
    assert car.charging_state == "Stopped"
    level = car.battery_level
    run(world, clock, 3600)
    assert car.battery_level == level


def test_charge_stop_refused_when_not_charging(car: SimVehicle) -> None:
    assert car.command("charge_stop", {}) == (False, "not_charging")


def test_charge_stop_while_starting(car: SimVehicle) -> None:
    car.command("charge_start", {})
    assert car.command("charge_stop", {}) == OK
    assert car.charging_state == "Stopped"
    assert car.starting_since is None


# -------------------------------------------------------------- set_charge_limit
def test_set_charge_limit_sets(car: SimVehicle) -> None:
    assert car.command("set_charge_limit", {"percent": 90}) == OK
    assert car.charge_state()["charge_limit_soc"] == 90


def test_set_charge_limit_same_value_is_already_set(car: SimVehicle) -> None:
    assert car.command("set_charge_limit", {"percent": 80}) == (False, "already_set")


@pytest.mark.parametrize(("percent", "expected"), [(1, 50), (49, 50), (50, 50), (100, 100), (150, 100)])
def test_set_charge_limit_clamps(car: SimVehicle, percent: int, expected: int) -> None:
    assert car.command("set_charge_limit", {"percent": percent}) == OK
    assert car.limit == expected
    # The clamped value is what "already set" compares against.
    assert car.command("set_charge_limit", {"percent": percent}) == (False, "already_set")


# ------------------------------------------------------ charge_standard / max_range
def test_charge_standard(car: SimVehicle) -> None:
    # The HA fixture's standard limit is 80, as is the limit here.
    assert car.limit_std == 80
    assert car.command("charge_standard", {}) == (False, "already_standard")
    car.command("set_charge_limit", {"percent": 95})
    assert car.command("charge_standard", {}) == OK
    assert car.limit == 80


def test_charge_max_range(car: SimVehicle) -> None:
    assert car.command("charge_max_range", {}) == OK
    assert car.limit == 100
    assert car.command("charge_max_range", {}) == (False, "already_max_range")


# ------------------------------------------------------------- set_charging_amps
@pytest.mark.parametrize(("amps", "expected"), [(10, 10), (32, 32), (40, 32), (-3, 0), (0, 0), (3, 3)])
def test_set_charging_amps_caps_at_the_request_max(car: SimVehicle, amps: int, expected: int) -> None:
    assert car.command("set_charging_amps", {"charging_amps": amps}) == OK
    state = car.charge_state()
    assert state["charge_current_request"] == expected
    assert state["charge_amps"] == expected
    assert state["charge_current_request_max"] == 32


def test_low_amps_quirk_needs_a_repeat(car: SimVehicle) -> None:
    car.settings.low_amps_needs_repeat = True
    assert car.command("set_charging_amps", {"charging_amps": 3}) == OK
    assert car.amps_request == 5
    assert car.command("set_charging_amps", {"charging_amps": 3}) == OK
    assert car.amps_request == 3
    # Once it stuck, sending it again keeps it.
    assert car.command("set_charging_amps", {"charging_amps": 3}) == OK
    assert car.amps_request == 3
    # A different low value needs its own repeat.
    assert car.command("set_charging_amps", {"charging_amps": 2}) == OK
    assert car.amps_request == 5
    # Values of 5 A and more stick at once.
    assert car.command("set_charging_amps", {"charging_amps": 12}) == OK
    assert car.amps_request == 12


def test_low_amps_quirk_resets_to_five_when_charging_restarts(car: SimVehicle) -> None:
    car.settings.low_amps_needs_repeat = True
    car.command("set_charging_amps", {"charging_amps": 4})
    car.command("set_charging_amps", {"charging_amps": 4})
    assert car.amps_request == 4
    car.command("charge_start", {})
    assert car.amps_request == 5


def test_low_amps_without_the_quirk_stick_at_once(car: SimVehicle) -> None:
    assert car.command("set_charging_amps", {"charging_amps": 2}) == OK
    assert car.amps_request == 2
    car.command("charge_start", {})
    assert car.amps_request == 2


# -------------------------------------------------------------- charge port door
def test_door_close_refused_with_the_cable_in(car: SimVehicle) -> None:
    assert car.door_open is True
    assert car.command("charge_port_door_close", {}) == (False, "cable_connected")
    assert car.charge_state()["charge_port_door_open"] is True


def test_door_follows_open_and_close(car: SimVehicle) -> None:
    car.unplug()
    assert car.command("charge_port_door_close", {}) == OK
    assert car.charge_state()["charge_port_door_open"] is False
    assert car.command("charge_port_door_close", {}) == (False, "already closed")
    assert car.command("charge_port_door_open", {}) == OK
    assert car.charge_state()["charge_port_door_open"] is True
    assert car.charge_state()["charge_port_color"] == "White"


def test_door_open_while_charging_stops_and_unlatches(
    world: World, clock: FakeClock, car: SimVehicle
) -> None:
    car.command("charge_start", {})
    run(world, clock, 10)
    assert car.charge_state()["charge_port_latch"] == "Engaged"
    assert car.command("charge_port_door_open", {}) == OK
    state = car.charge_state()
    assert state["charging_state"] == "Stopped"
    assert state["charge_port_latch"] == "Disengaged"
    assert state["charge_port_door_open"] is True
    # charge_start latches again.
    assert car.command("charge_start", {}) == OK
    assert car.charge_state()["charge_port_latch"] == "Engaged"


def test_door_open_when_idle_and_plugged_unlatches(car: SimVehicle) -> None:
    assert car.command("charge_port_door_open", {}) == OK
    assert car.latch == "Disengaged"
    assert car.charging_state == "Stopped"


def test_door_open_when_already_open_and_unplugged(car: SimVehicle) -> None:
    car.unplug()
    assert car.command("charge_port_door_open", {}) == OK
    assert car.door_open is True


def test_manual_door_is_not_supported(car: SimVehicle) -> None:
    car.motorized_port = False
    car.unplug()
    assert car.command("charge_port_door_close", {}) == (False, "not_supported")


def test_plugging_in_opens_and_latches(car: SimVehicle) -> None:
    car.unplug()
    car.command("charge_port_door_close", {})
    car.plug_in()
    state = car.charge_state()
    assert state["charge_port_door_open"] is True
    assert state["charge_port_latch"] == "Engaged"
    assert state["conn_charge_cable"] == "IEC"
    # No schedule: a plugged-in car below its limit starts by itself.
    assert state["charging_state"] == "Starting"
    assert state["charge_energy_added"] == 0


def test_plugging_in_at_the_limit_does_not_start(car: SimVehicle) -> None:
    car.unplug()
    car.battery_level = 85.0
    car.plug_in()
    assert car.charging_state == "Stopped"


# ------------------------------------------------------------- commands touch
def test_a_command_keeps_the_car_awake(world: World, clock: FakeClock, car: SimVehicle) -> None:
    run(world, clock, 800)
    car.command("set_charging_amps", {"charging_amps": 10})
    run(world, clock, 800)
    assert car.state == "online"
    run(world, clock, 100)
    assert car.state == "asleep"
