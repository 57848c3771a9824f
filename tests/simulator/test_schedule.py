"""Scheduled charging (StartAt) and scheduled departure (DepartBy) in local time."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simulator import FakeClock, World
from simulator.tesla.vehicle import SimVehicle

from ..helpers import VIN, account_spec, vehicle_spec

TZ = ZoneInfo("Europe/Amsterdam")  # the FakeClock starts at 01:00 local time here
OK = (True, "")


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(
            battery_level=50,
            charge_limit=80,
            amps=16,
            pilot_current=16,
            voltage=230,
            phases=1,
            capacity_kwh=60,
            timezone="Europe/Amsterdam",
            settings={"wake_delay": 0, "sleep_after": 900, "starting_seconds": 5},
        )
    )


@pytest.fixture
def car(world: World) -> SimVehicle:
    return world.vehicles[VIN]


def run(world: World, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    world.sync()


def local(clock: FakeClock, hour: int, minute: int, days: int = 0) -> float:
    """Epoch seconds of HH:MM local time, ``days`` after the clock's start day."""
    start = datetime.fromtimestamp(clock.now(), TZ)
    moment = start.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment.timestamp() + days * 86400


def test_the_clock_starts_at_one_in_the_morning_local(clock: FakeClock) -> None:
    assert datetime.fromtimestamp(clock.now(), TZ).hour == 1


# --------------------------------------------------------------------- StartAt
def test_start_at_waits_for_its_local_time(world: World, clock: FakeClock, car: SimVehicle) -> None:
    assert car.command("set_scheduled_charging", {"enable": True, "time": 150}) == OK
    state = car.charge_state()
    assert state["scheduled_charging_mode"] == "StartAt"
    assert state["scheduled_charging_pending"] is True
    assert state["scheduled_charging_start_time"] == local(clock, 2, 30)
    assert state["scheduled_charging_start_time_minutes"] == 150
    assert state["scheduled_charging_start_time_app"] == 150
    run(world, clock, local(clock, 2, 30) - clock.now() - 1)
    assert car.charging_state == "Stopped"
    run(world, clock, 1)
    assert car.charging_state == "Starting"
    state = car.charge_state()
    assert state["scheduled_charging_pending"] is False
    # The next start is the same time tomorrow.
    assert state["scheduled_charging_start_time"] == local(clock, 2, 30, days=1)
    assert ("scheduled_start" in [kind for _, kind in car.events]) is True


def test_start_at_earlier_than_now_means_tomorrow(car: SimVehicle, clock: FakeClock) -> None:
    car.command("set_scheduled_charging", {"enable": True, "time": 30})  # 00:30, already past
    assert car.charge_state()["scheduled_charging_start_time"] == local(clock, 0, 30, days=1)


def test_start_at_wakes_a_sleeping_car(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.command("set_scheduled_charging", {"enable": True, "time": 360})
    run(world, clock, 1000)
    assert car.state == "asleep"
    run(world, clock, local(clock, 6, 0) - clock.now())
    assert car.state == "online"
    assert car.charging_state == "Starting"


def test_start_at_disabled(car: SimVehicle) -> None:
    car.command("set_scheduled_charging", {"enable": True, "time": 150})
    assert car.command("set_scheduled_charging", {"enable": False}) == OK
    state = car.charge_state()
    assert state["scheduled_charging_mode"] == "Off"
    assert state["scheduled_charging_pending"] is False
    assert state["scheduled_charging_start_time"] is None
    assert state["scheduled_charging_start_time_minutes"] is None
    assert car.next_scheduled_start is None


def test_start_at_while_unplugged_does_nothing(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.command("set_scheduled_charging", {"enable": True, "time": 150})
    car.unplug()
    run(world, clock, local(clock, 2, 30) - clock.now() + 60)
    assert car.charging_state == "Disconnected"
    assert car.charge_state()["scheduled_charging_start_time"] == local(clock, 2, 30, days=1)


def test_plug_in_with_a_schedule_waits(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.unplug()
    car.command("set_scheduled_charging", {"enable": True, "time": 150})
    assert car.charge_state()["scheduled_charging_pending"] is False  # not plugged in
    car.plug_in()
    assert car.charging_state == "Stopped"
    assert car.charge_state()["scheduled_charging_pending"] is True


def test_charge_start_overrides_the_schedule(world: World, clock: FakeClock, car: SimVehicle) -> None:
    car.command("set_scheduled_charging", {"enable": True, "time": 150})
    assert car.command("charge_start", {}) == OK
    assert car.charge_state()["scheduled_charging_pending"] is False


def test_schedule_still_pending_after_a_manual_stop(world: World, clock: FakeClock, car: SimVehicle) -> None:
    """A stopped car waits for the next scheduled start, and says so."""
    car.command("set_scheduled_charging", {"enable": True, "time": 150})
    car.command("charge_start", {})
    run(world, clock, 60)
    car.command("charge_stop", {})
    assert car.charge_state()["scheduled_charging_pending"] is True
    run(world, clock, local(clock, 2, 30) - clock.now())
    assert car.charging_state == "Starting"


def test_schedule_not_pending_when_the_limit_is_reached(car: SimVehicle) -> None:
    car.command("set_scheduled_charging", {"enable": True, "time": 150})
    car.command("set_charge_limit", {"percent": 50})
    assert car.charge_state()["scheduled_charging_pending"] is False


def test_schedule_set_in_the_scenario(clock: FakeClock) -> None:
    from simulator import build_world

    spec = account_spec(
        vehicle_spec(timezone="Europe/Amsterdam", battery_level=40, scheduled_charging={"time": 300})
    )
    car = build_world(spec, clock).vehicles[VIN]
    state = car.charge_state()
    assert state["scheduled_charging_mode"] == "StartAt"
    assert state["scheduled_charging_start_time"] == local(clock, 5, 0)
    assert state["scheduled_charging_pending"] is True


# -------------------------------------------------------------------- DepartBy
def departure(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "enable": True,
        "departure_time": 480,
        "preconditioning_enabled": False,
        "preconditioning_weekdays_only": False,
        "off_peak_charging_enabled": True,
        "off_peak_charging_weekdays_only": False,
        "end_off_peak_time": 360,
    }
    params.update(overrides)
    return params


def test_depart_by_starts_in_time_to_reach_the_limit(world: World, clock: FakeClock, car: SimVehicle) -> None:
    assert car.command("set_scheduled_departure", departure()) == OK
    state = car.charge_state()
    assert state["scheduled_charging_mode"] == "DepartBy"
    assert state["off_peak_charging_enabled"] is True
    assert state["off_peak_charging_times"] == "all_week"
    assert state["off_peak_hours_end_time"] == 360
    assert state["scheduled_departure_time_minutes"] == 480
    assert state["scheduled_departure_time"] == local(clock, 8, 0)
    assert state["scheduled_charging_pending"] is True
    # 30 % of 60 kWh at 16 A x 230 V: 293.5 minutes, rounded up, before 08:00.
    minutes = -(-(0.3 * 60 / (16 * 230 / 1000) * 60) // 1)
    start = local(clock, 8, 0) - minutes * 60
    assert state["scheduled_charging_start_time"] == start
    run(world, clock, start - clock.now() - 1)
    assert car.charging_state == "Stopped"
    run(world, clock, 1)
    assert car.charging_state == "Starting"
    run(world, clock, local(clock, 8, 0) - clock.now())
    assert car.charging_state == "Complete"
    assert car.battery_level == pytest.approx(80)


def test_depart_by_start_follows_a_changed_level(world: World, clock: FakeClock, car: SimVehicle) -> None:
    from simulator.world import apply_action

    car.command("set_scheduled_departure", departure())
    before = car.charge_state()["scheduled_charging_start_time"]
    apply_action(car, "battery_level", {"level": 70})
    after = car.charge_state()["scheduled_charging_start_time"]
    assert after > before
    assert car.next_scheduled_start == after  # the car starts when it says it will


def test_departure_weekdays_policies(car: SimVehicle) -> None:
    params = departure(
        preconditioning_weekdays_only=True,
        off_peak_charging_enabled=False,
        off_peak_charging_weekdays_only=True,
    )
    assert car.command("set_scheduled_departure", params) == OK
    state = car.charge_state()
    assert state["preconditioning_enabled"] is True
    assert state["preconditioning_times"] == "weekdays"
    assert state["off_peak_charging_enabled"] is True
    assert state["off_peak_charging_times"] == "weekdays"
    assert state["scheduled_charging_mode"] == "DepartBy"


def test_departure_without_off_peak_is_no_charging_schedule(car: SimVehicle) -> None:
    car.command("set_scheduled_departure", departure())
    assert car.command("set_scheduled_departure", departure(off_peak_charging_enabled=False)) == OK
    state = car.charge_state()
    assert state["scheduled_charging_mode"] == "Off"
    assert state["scheduled_charging_start_time"] is None
    assert state["scheduled_charging_pending"] is False


def test_departure_disabled_clears_it(car: SimVehicle) -> None:
    car.command("set_scheduled_departure", departure(preconditioning_enabled=True, departure_time=420))
    assert car.command("set_scheduled_departure", {"enable": False}) == OK
    state = car.charge_state()
    assert state["scheduled_charging_mode"] == "Off"
    assert state["preconditioning_enabled"] is False
    assert state["off_peak_charging_enabled"] is False
    assert state["scheduled_departure_time_minutes"] == 420  # the time itself is kept


def test_departure_disabled_leaves_start_at_alone(car: SimVehicle) -> None:
    car.command("set_scheduled_charging", {"enable": True, "time": 150})
    car.command("set_scheduled_departure", {"enable": False})
    assert car.schedule_mode == "StartAt"
    car.command("set_scheduled_departure", departure(off_peak_charging_enabled=False))
    assert car.schedule_mode == "StartAt"


def test_start_at_off_leaves_depart_by_alone(car: SimVehicle) -> None:
    car.command("set_scheduled_departure", departure())
    car.command("set_scheduled_charging", {"enable": False})
    assert car.schedule_mode == "DepartBy"
