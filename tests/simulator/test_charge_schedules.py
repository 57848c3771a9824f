"""Charge and precondition schedules (firmware 2024.26+): REST and signed commands,
vehicle_data, the car starting and stopping on schedule in its time zone, and the
legacy schedule commands that no longer change anything."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simulator import FakeClock, World, build_world
from simulator.tesla.schedules import firmware_version, uses_charge_schedules

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet
from .signed_support import (
    SignedClient,
    charge_schedule,
    pair,
    precondition_schedule,
    remove_charge_schedule,
    remove_precondition_schedule,
)

TZ = ZoneInfo("Europe/Amsterdam")  # the FakeClock starts on Thursday 2026-01-01, 01:00 here
NEW_FIRMWARE = "2025.20.6 4c5ad9d1b3a0"
START = 1767225600  # 2026-01-01T00:00:00Z, the FakeClock's start
OK = {"response": {"result": True, "reason": ""}}
EVERY_DAY = {"days_of_week": "All", "enabled": True, "lat": 52.37, "lon": 4.89}


def car_spec(**overrides: Any) -> dict[str, Any]:
    spec = vehicle_spec(
        command_signing="allowed",
        firmware=NEW_FIRMWARE,
        battery_level=50,
        charge_limit=80,
        amps=16,
        pilot_current=16,
        capacity_kwh=60,
        timezone="Europe/Amsterdam",
        settings={"wake_delay": 0, "sleep_after": 900, "starting_seconds": 5},
    )
    spec.update(overrides)
    return spec


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(car_spec())


def local(hour: int, minute: int = 0, day: int = 1) -> float:
    """Epoch seconds of HH:MM local time on 2026-01-``day``."""
    return datetime(2026, 1, day, hour, minute, tzinfo=TZ).timestamp()


def run_to(sim: SimulatorHandle, moment: float) -> None:
    sim.advance(moment - sim.world.now())


async def add(fleet: Fleet, **params: Any) -> Any:
    return await fleet.command(VIN, "add_charge_schedule", {**EVERY_DAY, **params})


async def schedules(fleet: Fleet, section: str = "charge_schedule_data") -> Any:
    reply = await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data?endpoints={section}")
    assert reply.status == 200, reply.text
    return reply.body["response"][section]


async def charging_state(sim: SimulatorHandle) -> str:
    return str((await sim.vehicle())["charge_state"]["charging_state"])


async def schedule_events(sim: SimulatorHandle) -> list[str]:
    return [kind for _, kind in (await sim.vehicle())["events"] if kind.startswith("charge_schedule")]


# ------------------------------------------------------------------ firmware
def test_firmware_versions() -> None:
    assert firmware_version("2024.26.3 abcdef") == (2024, 26, 3)
    assert uses_charge_schedules("2024.26") is True
    assert uses_charge_schedules("2024.20.9 abc") is False
    assert uses_charge_schedules(NEW_FIRMWARE) is True
    for bad in ("", "abc", "2024", "v2024.26"):
        with pytest.raises(ValueError, match="is not like"):
            firmware_version(bad)


# ------------------------------------------------------------- REST commands
async def test_add_modify_and_remove_over_rest(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await add(fleet, days_of_week="Mon,Tues", start_enabled=True, start_time=120, end_enabled=False)
    assert reply.body == OK
    data = await schedules(fleet)
    assert data["charge_schedules"] == [
        {
            "id": START,  # the current Unix time, as Tesla's clients choose it
            "name": "",
            "days_of_week": 6,
            "start_enabled": True,
            "start_time": 120,
            "end_enabled": False,
            "end_time": 0,
            "one_time": False,
            "enabled": True,
            "latitude": 52.369998931884766,  # stored as a protobuf float
            "longitude": 4.889999866485596,
        }
    ]
    assert data["max_num_charge_schedules"] == 100
    assert data["timestamp"] == {"seconds": START, "nanos": 0}
    # The same second: a new schedule gets the next free id.
    await add(fleet, start_enabled=False, end_enabled=True, end_time=360)
    ids = [s["id"] for s in (await schedules(fleet))["charge_schedules"]]
    assert ids == [START, START + 1]
    # An existing id is modified.
    await add(fleet, id=START, days_of_week="weekdays", start_enabled=True, start_time=60, end_enabled=False)
    first = (await schedules(fleet))["charge_schedules"][0]
    assert (first["id"], first["days_of_week"], first["start_time"]) == (START, 62, 60)
    assert (await fleet.command(VIN, "remove_charge_schedule", {"id": START})).body == OK
    assert [s["id"] for s in (await schedules(fleet))["charge_schedules"]] == [START + 1]
    assert (await fleet.command(VIN, "remove_charge_schedule", {"id": 42})).body == OK  # unknown: fine


async def test_precondition_schedules_over_rest(fleet: Fleet) -> None:
    body = {"days_of_week": "sat,SUNDAY", "enabled": True, "lat": 1, "lon": 2, "precondition_time": 450}
    assert (await fleet.command(VIN, "add_precondition_schedule", body)).body == OK
    data = await schedules(fleet, "preconditioning_schedule_data")
    assert data["precondition_schedules"] == [
        {
            "id": START,
            "name": "",
            "days_of_week": 65,
            "precondition_time": 450,
            "one_time": False,
            "enabled": True,
            "latitude": 1.0,
            "longitude": 2.0,
        }
    ]
    assert data["max_num_precondition_schedules"] == 100
    assert (await fleet.command(VIN, "remove_precondition_schedule", {"id": START})).body == OK
    assert (await schedules(fleet, "preconditioning_schedule_data"))["precondition_schedules"] == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {"enabled": True, "start_enabled": True, "end_enabled": False, "lat": 1, "lon": 2},
            "missing days_of_week param",
        ),
        ({**EVERY_DAY, "end_enabled": False}, "missing start_enabled param"),
        ({**EVERY_DAY, "start_enabled": True, "end_enabled": False, "lat": None}, "missing lat param"),
        ({**EVERY_DAY, "start_enabled": True, "end_enabled": False, "lat": "52"}, "invalid lat param"),
        (
            {**EVERY_DAY, "start_enabled": True, "end_enabled": False, "lon": float("nan")},
            "invalid lon param",
        ),
        (
            {**EVERY_DAY, "start_enabled": True, "end_enabled": False, "start_time": 1440},
            "invalid start_time param",
        ),
        (
            {**EVERY_DAY, "start_enabled": True, "end_enabled": False, "end_time": 1.5},
            "invalid end_time param",
        ),
        ({**EVERY_DAY, "start_enabled": True, "end_enabled": False, "id": -1}, "invalid id param"),
        ({**EVERY_DAY, "start_enabled": "yes", "end_enabled": False}, "invalid start_enabled param"),
        (
            {**EVERY_DAY, "start_enabled": True, "end_enabled": False, "days_of_week": 62},
            "invalid days_of_week param",
        ),
    ],
)
async def test_rest_parameters_are_checked(fleet: Fleet, body: dict[str, Any], reason: str) -> None:
    reply = await fleet.command(VIN, "add_charge_schedule", body)
    assert reply.status == 400
    assert reply.body == {
        "response": {"result": False, "reason": reason},
        "error": "",
        "error_description": "",
    }


@pytest.mark.parametrize(
    ("days", "unknown"), [("Tue", "Tue"), ("Mon, Thu,Fri", " Thu"), ("", ""), ("Funday", "Funday")]
)
async def test_day_names_are_the_proxys(fleet: Fleet, days: str, unknown: str) -> None:
    body = {**EVERY_DAY, "days_of_week": days, "start_enabled": True, "end_enabled": False}
    reply = await fleet.command(VIN, "add_charge_schedule", body)
    assert reply.status == 400
    assert reply.body == {
        "response": None,
        "error": f"unrecognized day name: {unknown}",
        "error_description": "",
    }


async def test_remove_needs_an_id(fleet: Fleet) -> None:
    reply = await fleet.command(VIN, "remove_precondition_schedule", {})
    assert reply.body["response"]["reason"] == "missing id param"


# ------------------------------------------------------------ signed commands
async def test_signed_add_modify_and_remove(sim: SimulatorHandle, fleet: Fleet) -> None:
    client = SignedClient(fleet, sim, VIN)
    await pair(sim, VIN, client.key)
    assert await client.command(charge_schedule(name="Home", days=62, start=1380, end=420)) == (0, "")
    (schedule,) = (await schedules(fleet))["charge_schedules"]
    assert schedule["id"] == START
    assert (schedule["name"], schedule["days_of_week"]) == ("Home", 62)
    assert (
        schedule["start_enabled"],
        schedule["start_time"],
        schedule["end_enabled"],
        schedule["end_time"],
    ) == (
        True,
        1380,
        True,
        420,
    )
    assert await client.command(charge_schedule(schedule_id=START, days=1, start=60, enabled=False)) == (
        0,
        "",
    )
    (schedule,) = (await schedules(fleet))["charge_schedules"]
    assert (schedule["days_of_week"], schedule["end_enabled"], schedule["enabled"]) == (1, False, False)
    assert await client.command(charge_schedule(start=2000)) == (1, "invalid start_time param")
    assert await client.command(charge_schedule(days=200, start=60)) == (1, "invalid days_of_week param")
    assert await client.command(charge_schedule(start=60, lat=float("inf"))) == (1, "invalid lat param")
    assert await client.command(remove_charge_schedule(START)) == (0, "")
    assert (await schedules(fleet))["charge_schedules"] == []
    assert await client.command(precondition_schedule(schedule_id=7, time=480)) == (0, "")
    data = await schedules(fleet, "preconditioning_schedule_data")
    assert [(s["id"], s["precondition_time"], s["days_of_week"]) for s in data["precondition_schedules"]] == [
        (7, 480, 62)
    ]
    assert await client.command(remove_precondition_schedule(7)) == (0, "")
    log = [e["command"] for e in await sim.requests() if e.get("signed") == "command"]
    assert log[0] == "add_charge_schedule"
    assert log[-1] == "remove_precondition_schedule"


# -------------------------------------------------------------------- physics
async def test_a_schedule_starts_and_stops_charging_in_local_time(sim: SimulatorHandle, fleet: Fleet) -> None:
    await add(fleet, start_enabled=True, start_time=120, end_enabled=True, end_time=240)
    run_to(sim, local(2) - 1)
    assert await charging_state(sim) == "Stopped"
    run_to(sim, local(2))  # 02:00 in Amsterdam is 01:00 UTC
    assert await charging_state(sim) == "Starting"
    run_to(sim, local(4) - 1)
    assert await charging_state(sim) == "Charging"
    run_to(sim, local(4))
    assert await charging_state(sim) == "Stopped"
    assert await schedule_events(sim) == ["charge_schedule_start", "charge_schedule_end"]
    run_to(sim, local(2, day=2))
    assert await charging_state(sim) == "Starting"  # and again the next day


async def test_only_on_the_schedules_days(sim: SimulatorHandle, fleet: Fleet) -> None:
    await add(
        fleet, days_of_week="Sat", start_enabled=True, start_time=120, end_enabled=False
    )  # Jan 1 is a Thursday
    run_to(sim, local(3, day=2))
    assert await charging_state(sim) == "Stopped"
    run_to(sim, local(2, day=3))
    assert await charging_state(sim) == "Starting"


async def test_an_overnight_end_belongs_to_the_start_day(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="battery_level", level=10)  # so it does not complete overnight
    await add(
        fleet, days_of_week="Thursday", start_enabled=True, start_time=1380, end_enabled=True, end_time=360
    )
    run_to(sim, local(6, day=1))  # Thursday 06:00: an end, but of Wednesday's window, which was not on
    assert await schedule_events(sim) == []
    run_to(sim, local(23, day=1))
    assert await charging_state(sim) == "Starting"
    run_to(sim, local(6, day=2))  # Friday 06:00 ends Thursday's night
    assert await charging_state(sim) == "Stopped"
    run_to(sim, local(23, 30, day=2))
    assert await charging_state(sim) == "Stopped"


@pytest.mark.parametrize("end", [None, 240])
async def test_a_one_time_schedule_runs_once(sim: SimulatorHandle, fleet: Fleet, end: int | None) -> None:
    ends = {"end_enabled": False} if end is None else {"end_enabled": True, "end_time": end}
    await add(fleet, one_time=True, start_enabled=True, start_time=120, **ends)
    run_to(sim, local(5))
    await sim.vehicle(action="state", state="online")
    (schedule,) = (await schedules(fleet))["charge_schedules"]
    assert schedule["enabled"] is False
    await fleet.command(VIN, "charge_stop")
    run_to(sim, local(3, day=2))
    assert await charging_state(sim) == "Stopped"


async def test_a_full_or_unplugged_car_does_not_start(sim: SimulatorHandle, fleet: Fleet) -> None:
    await add(fleet, start_enabled=True, start_time=120, end_enabled=False)
    await sim.vehicle(action="battery_level", level=80)
    run_to(sim, local(3))
    assert await charging_state(sim) == "Stopped"
    await sim.vehicle(action="unplug")
    run_to(sim, local(3, day=2))
    assert await charging_state(sim) == "Disconnected"
    assert await schedule_events(sim) == ["charge_schedule_start"] * 2


async def test_plugging_in_waits_for_a_schedule(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="unplug")
    await add(fleet, start_enabled=True, start_time=120, end_enabled=False)
    await sim.vehicle(action="plug_in")
    assert await charging_state(sim) == "Stopped"
    run_to(sim, local(2))
    assert await charging_state(sim) == "Starting"


async def test_a_disabled_schedule_does_nothing(sim: SimulatorHandle, fleet: Fleet) -> None:
    await add(fleet, enabled=False, start_enabled=True, start_time=120, end_enabled=False)
    await sim.vehicle(action="unplug")
    await sim.vehicle(action="plug_in")
    assert await charging_state(sim) == "Starting"  # nothing to wait for
    await fleet.command(VIN, "charge_stop")
    run_to(sim, local(3))
    assert await charging_state(sim) == "Stopped"


def test_one_jump_equals_many_steps(scenario: dict[str, Any]) -> None:
    worlds: list[tuple[World, FakeClock]] = []
    for _ in range(2):
        clock = FakeClock()
        world = build_world(scenario, clock)
        car = world.vehicles[VIN]
        params = {**EVERY_DAY, "days_of_week": 127, "start_enabled": True, "start_time": 90}
        assert car.command("add_charge_schedule", {**params, "end_enabled": True, "end_time": 200}) == (
            True,
            "",
        )
        worlds.append((world, clock))
    (big, big_clock), (small, small_clock) = worlds
    big_clock.advance(2 * 86400)
    big.sync()
    for _ in range(2 * 24 * 6):
        small_clock.advance(600)
        small.sync()
    assert big.vehicles[VIN].battery_level == pytest.approx(small.vehicles[VIN].battery_level, abs=1e-9)
    assert big.vehicles[VIN].charging_state == small.vehicles[VIN].charging_state


# ------------------------------------------------------------- vehicle_data
async def test_schedule_sections_only_when_asked(fleet: Fleet) -> None:
    reply = await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data")
    data = reply.body["response"]
    assert "charge_schedule_data" not in data
    assert "preconditioning_schedule_data" not in data
    assert data["vehicle_state"]["car_version"] == NEW_FIRMWARE
    reply = await fleet.get(
        f"/api/1/vehicles/{VIN}/vehicle_data?endpoints=charge_schedule_data;preconditioning_schedule_data"
    )
    assert set(reply.body["response"]) >= {"charge_schedule_data", "preconditioning_schedule_data"}


async def test_older_firmware_has_no_schedules(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(firmware="2024.20.1 abcdef")
    reply = await fleet.get(
        f"/api/1/vehicles/{VIN}/vehicle_data?endpoints=charge_schedule_data;vehicle_state"
    )
    assert "charge_schedule_data" not in reply.body["response"]
    assert reply.body["response"]["vehicle_state"]["car_version"] == "2024.20.1 abcdef"
    reply = await add(fleet, start_enabled=True, start_time=120, end_enabled=False)
    assert reply.body == {"response": {"result": False, "reason": "not_supported"}}
    for name, body in (
        ("remove_charge_schedule", {"id": 1}),
        ("remove_precondition_schedule", {"id": 1}),
        ("add_precondition_schedule", {**EVERY_DAY, "precondition_time": 1}),
    ):
        assert (await fleet.command(VIN, name, body)).body["response"]["reason"] == "not_supported"
    for bad in ("nonsense", 2024):
        reply = await fleet.request("POST", f"/sim/vehicles/{VIN}", json={"firmware": bad}, headers={})
        assert reply.status == 400


# ------------------------------------------------------- the legacy commands
async def test_legacy_schedule_commands_change_nothing_on_new_firmware(
    sim: SimulatorHandle, fleet: Fleet
) -> None:
    before = (await sim.vehicle())["charge_state"]
    assert (await fleet.command(VIN, "set_scheduled_charging", {"enable": True, "time": 120})).body == OK
    body = {"enable": True, "departure_time": 450, "off_peak_charging_enabled": True}
    assert (await fleet.command(VIN, "set_scheduled_departure", body)).body == OK
    after = (await sim.vehicle())["charge_state"]
    for key in (
        "scheduled_charging_mode",
        "scheduled_charging_start_time",
        "scheduled_departure_time_minutes",
    ):
        assert after[key] == before[key]
    assert after["scheduled_charging_mode"] == "Off"
