"""Charging physics on the FakeClock: energy, limits, charger fields, resuming."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import FakeClock, World
from simulator.tesla.vehicle import SimVehicle

from ..helpers import VIN, account_spec, vehicle_spec

# 16 A x 230 V x 3 phases = 11.04 kW into a 60 kWh pack: 18.4 % per hour.
POWER_KW = 16 * 230 * 3 / 1000
CAPACITY = 60.0


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(
            battery_level=50,
            charge_limit=80,
            amps=16,
            amps_max=32,
            pilot_current=32,
            voltage=230,
            phases=3,
            capacity_kwh=CAPACITY,
            settings={"wake_delay": 0, "sleep_after": 900, "starting_seconds": 5},
        )
    )


@pytest.fixture
def car(world: World) -> SimVehicle:
    return world.vehicles[VIN]


def run(world: World, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    world.sync()


def start_charging(world: World, clock: FakeClock, car: SimVehicle) -> None:
    assert car.command("charge_start", {}) == (True, "")
    run(world, clock, 5)
    assert car.charging_state == "Charging"


def test_energy_and_level_follow_amps_volts_phases(world: World, clock: FakeClock, car: SimVehicle) -> None:
    start_charging(world, clock, car)
    run(world, clock, 3600)
    state = car.charge_state()
    assert state["charge_energy_added"] == pytest.approx(POWER_KW, abs=0.01)
    expected_level = 50 + POWER_KW / CAPACITY * 100
    assert car.battery_level == pytest.approx(expected_level, abs=1e-6)
    assert state["battery_level"] == round(expected_level)
    assert state["charging_state"] == "Charging"
    # Half an hour more: another half of the power.
    run(world, clock, 1800)
    assert car.energy_added == pytest.approx(POWER_KW * 1.5, abs=1e-6)


def test_minutes_to_full_matches_remaining_energy(world: World, clock: FakeClock, car: SimVehicle) -> None:
    start_charging(world, clock, car)
    state = car.charge_state()
    hours = (80 - 50) / 100 * CAPACITY / POWER_KW
    assert state["minutes_to_full_charge"] == round(hours * 60)
    assert state["time_to_full_charge"] == pytest.approx(hours, abs=0.01)
    assert state["charge_rate"] > 0


def test_stops_at_the_limit_with_complete(world: World, clock: FakeClock, car: SimVehicle) -> None:
    start_charging(world, clock, car)
    hours = (80 - 50) / 100 * CAPACITY / POWER_KW
    run(world, clock, hours * 3600 - 60)
    assert car.charging_state == "Charging"
    assert car.battery_level < 80
    run(world, clock, 120)
    assert car.charging_state == "Complete"
    assert car.battery_level == pytest.approx(80)
    energy = car.energy_added
    assert energy == pytest.approx(0.3 * CAPACITY, abs=1e-6)
    # Nothing more flows once complete.
    run(world, clock, 3600)
    assert car.energy_added == energy
    state = car.charge_state()
    assert state["charger_power"] == 0
    assert state["charger_actual_current"] == 0
    assert state["charge_port_color"] == "Green"
    assert [kind for _, kind in car.events].count("complete") == 1


def test_starting_lasts_starting_seconds(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.settings.starting_seconds = 10
    assert car.command("charge_start", {}) == (True, "")
    assert car.charge_state()["charging_state"] == "Starting"
    run(world, clock, 9.5)
    assert car.charging_state == "Starting"
    assert car.battery_level == 50  # no energy while starting
    run(world, clock, 0.5)
    assert car.charging_state == "Charging"


def test_charger_fields_while_charging(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.pilot_current = 10  # the EVSE offers less than the car asks for
    start_charging(world, clock, car)
    state = car.charge_state()
    assert state["charger_actual_current"] == 10
    assert state["charger_pilot_current"] == 10
    assert state["charge_current_request"] == 16
    assert state["charge_amps"] == 16
    assert state["charger_voltage"] == 230
    assert state["charger_phases"] == 3
    assert state["charger_power"] == round(10 * 230 * 3 / 1000)
    assert state["conn_charge_cable"] == "IEC"
    assert state["charge_port_latch"] == "Engaged"
    assert state["charge_port_color"] == "FlashingGreen"
    assert state["charge_enable_request"] is True
    # The EVSE raises its offer: the car takes its own request, no more.
    car.set_pilot_current(32)
    assert car.charge_state()["charger_actual_current"] == 16
    assert car.charge_state()["charger_power"] == round(POWER_KW)


def test_charger_fields_when_plugged_and_idle(car: SimVehicle) -> None:
    state = car.charge_state()
    assert state["charging_state"] == "Stopped"
    assert state["charger_actual_current"] == 0
    assert state["charger_power"] == 0
    assert state["charger_phases"] is None
    assert state["charger_voltage"] == 2
    assert state["charger_pilot_current"] == 32
    assert state["charge_rate"] == 0
    assert state["minutes_to_full_charge"] == 0


def test_charger_fields_when_unplugged(car: SimVehicle) -> None:
    car.unplug()
    state = car.charge_state()
    assert state["charging_state"] == "Disconnected"
    assert state["charger_voltage"] == 0
    assert state["charger_pilot_current"] == 0
    assert state["charger_phases"] is None
    assert state["conn_charge_cable"] == "<invalid>"
    assert state["charge_port_latch"] == "Disengaged"


def test_raising_the_limit_while_complete_resumes(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.command("set_charge_limit", {"percent": 55})
    start_charging(world, clock, car)
    run(world, clock, 4 * 3600)
    assert car.charging_state == "Complete"
    assert car.command("set_charge_limit", {"percent": 60}) == (True, "")
    assert car.charging_state == "Starting"
    run(world, clock, 5)
    assert car.charging_state == "Charging"
    run(world, clock, 3600)
    assert car.charging_state == "Complete"
    assert car.battery_level == pytest.approx(60)


def test_lowering_the_limit_below_the_level_completes(
    world: World, clock: FakeClock, car: SimVehicle
) -> None:
    start_charging(world, clock, car)
    run(world, clock, 3600)  # about 68 %
    assert car.command("set_charge_limit", {"percent": 60}) == (True, "")
    assert car.charging_state == "Complete"
    assert car.charge_state()["charger_power"] == 0


def test_stopped_car_does_not_resume_on_a_raised_limit(
    world: World, clock: FakeClock, car: SimVehicle
) -> None:
    car.command("set_charge_limit", {"percent": 55})
    start_charging(world, clock, car)
    car.command("charge_stop", {})
    car.command("set_charge_limit", {"percent": 70})
    run(world, clock, 600)
    assert car.charging_state == "Stopped"
    assert car.charge_state()["charge_enable_request"] is False
    assert car.charge_state()["user_charge_enable_request"] is False


def test_amps_change_while_charging_changes_the_rate(world: World, clock: FakeClock, car: SimVehicle) -> None:
    start_charging(world, clock, car)
    assert car.command("set_charging_amps", {"charging_amps": 8}) == (True, "")
    run(world, clock, 3600)
    assert car.energy_added == pytest.approx(8 * 230 * 3 / 1000, abs=1e-6)


def test_pilot_current_zero_means_no_power(world: World, clock: FakeClock, car: SimVehicle) -> None:
    start_charging(world, clock, car)
    car.set_pilot_current(0)
    assert car.charging_state == "NoPower"
    level = car.battery_level
    run(world, clock, 600)
    assert car.battery_level == level
    assert car.command("charge_start", {}) == (False, "no_power")


def test_charging_resumes_when_power_returns(world: World, clock: FakeClock, car: SimVehicle) -> None:
    start_charging(world, clock, car)
    car.set_pilot_current(0)
    run(world, clock, 600)
    car.set_pilot_current(16)
    assert car.charging_state == "Starting"
    run(world, clock, 5)
    assert car.charge_state()["charger_actual_current"] == 16


def test_idle_car_stays_idle_when_power_returns(car: SimVehicle) -> None:
    car.set_pilot_current(0)
    car.set_pilot_current(0)  # still no power: nothing changes
    assert car.charging_state == "NoPower"
    car.set_pilot_current(16)
    assert car.charging_state == "Stopped"


def test_plugged_in_without_power_starts_when_power_comes(
    world: World, clock: FakeClock, car: SimVehicle
) -> None:
    car.unplug()
    car.set_pilot_current(0)
    car.plug_in()
    assert car.charging_state == "NoPower"
    car.set_pilot_current(32)
    assert car.charging_state == "Starting"


def test_drive_uses_energy_and_moves_the_odometer(world: World, clock: FakeClock, car: SimVehicle) -> None:
    odometer = car.odometer
    car.start_drive(minutes=60, miles=40, kwh_per_mile=0.25)
    assert car.charging_state == "Disconnected"
    assert car.door_open is False
    data = car.vehicle_data(["drive_state"])
    assert data["drive_state"]["shift_state"] == "D"
    run(world, clock, 3600)
    assert car.drive is None
    assert car.odometer == pytest.approx(odometer + 40)
    assert car.battery_level == pytest.approx(50 - 40 * 0.25 / CAPACITY * 100)
    assert car.vehicle_data(["drive_state"])["drive_state"]["shift_state"] is None


def test_vehicle_data_sections(car: SimVehicle) -> None:
    everything = car.vehicle_data(None)
    for section in ("charge_state", "climate_state", "drive_state", "gui_settings", "vehicle_config"):
        assert section in everything
    assert everything["vin"] == VIN
    assert everything["vehicle_state"]["vehicle_name"] == "Model 3"
    # Without location_data the drive state carries no position.
    assert not any("latitude" in key for key in everything["drive_state"])
    located = car.vehicle_data(["location_data"])
    assert "latitude" in located["drive_state"]
    assert "charge_state" not in located
    only_charge = car.vehicle_data(["charge_state"])
    assert set(only_charge) & {"drive_state", "climate_state", "vehicle_state"} == set()


def test_timestamps_follow_the_clock(world: World, clock: FakeClock, car: SimVehicle) -> None:
    run(world, clock, 100)
    assert car.charge_state()["timestamp"] == int(clock.now() * 1000)
