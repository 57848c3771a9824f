"""Scenario files: every key, the timeline, the default demo."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator import FakeClock, build_world, default_spec, load_spec
from simulator.scenario import FIXTURES, scenario_start
from simulator.world import World, apply_action

from ..helpers import ACCOUNT_ID, VIN, VIN2, account_spec, vehicle_spec

CHARGING_FIXTURE = "timdorr_owner_api_vehicle_data_2018_charging.json"
COMPLETE_FIXTURE = "timdorr_owner_api_vehicle_data_2020_complete.json"


def write(tmp_path: Path, spec: dict[str, Any], name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec))
    return path


def run(world: World, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    world.sync()


# ------------------------------------------------------------------- timeline
TIMELINE_SPEC: dict[str, Any] = {
    "timezone": "UTC",
    **account_spec(
        vehicle_spec(
            plugged_in=False,
            battery_level=50,
            charge_limit=80,
            amps=16,
            pilot_current=16,
            voltage=230,
            phases=1,
            capacity_kwh=60,
            settings={"wake_delay": 0, "sleep_after": 900, "starting_seconds": 0},
        )
    ),
    "timeline": [
        {"at": "01:00", "vin": VIN, "action": "plug_in"},
        {"at": 7200, "vin": VIN, "action": "unplug"},
        {"at": "03:00", "vin": VIN, "action": "drive", "minutes": 60, "miles": 24},
        {"at": "+1 00:30", "vin": VIN, "action": "state", "state": "offline"},
    ],
}


def test_timeline_from_a_scenario_file(tmp_path: Path, clock: FakeClock) -> None:
    world = build_world(load_spec(write(tmp_path, TIMELINE_SPEC)), clock)
    car = world.vehicles[VIN]
    assert car.charging_state == "Disconnected"
    run(world, clock, 3599)
    assert car.charging_state == "Disconnected"
    run(world, clock, 1)
    # Plugged in, no schedule: charging at once (starting_seconds is 0).
    assert car.plugged is True
    run(world, clock, 3600)
    assert car.charging_state == "Disconnected"  # unplugged at 02:00
    energy = 16 * 230 / 1000
    assert car.energy_added == pytest.approx(energy, abs=1e-6)
    level_after_charge = 50 + energy / 60 * 100
    assert car.battery_level == pytest.approx(level_after_charge)
    run(world, clock, 3600 + 1800)  # 03:30: half-way through the drive
    assert car.drive is not None
    assert car.state == "online"
    run(world, clock, 1800)
    assert car.drive is None
    assert car.battery_level == pytest.approx(level_after_charge - 24 * 0.25 / 60 * 100)
    run(world, clock, 86400)
    assert car.state == "offline"


def test_timeline_applies_events_at_their_own_time(clock: FakeClock) -> None:
    """One big clock jump applies each event at its moment, with physics in between."""
    world = build_world(TIMELINE_SPEC, clock)
    run(world, clock, 3 * 3600)
    assert world.vehicles[VIN].energy_added == pytest.approx(16 * 230 / 1000, abs=1e-6)


def test_timeline_in_json_with_a_timezone(tmp_path: Path, clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec())
    spec["defaults"] = {"timezone": "America/New_York"}
    spec["timeline"] = [{"at": "20:00", "vin": VIN, "action": "pilot_current", "amps": 0}]
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(spec))
    world = build_world(load_spec(path), clock)
    # 2026-01-01 00:00 UTC is 19:00 in New York: the event is an hour away.
    assert world.timeline[0].at == clock.now() + 3600


def test_timeline_day_prefix_and_seconds(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec())
    spec["timeline"] = [
        {"at": "2 06:00", "vin": VIN, "action": "battery_level", "level": 20},
        {"at": "d1 00:00", "vin": VIN, "action": "unplug"},
        {"at": 30, "vin": VIN, "action": "plug_in"},
    ]
    world = build_world(spec, clock)
    times = sorted(event.at - clock.now() for event in world.timeline)
    assert times == [30, 86400, 2 * 86400 + 6 * 3600]


def test_timeline_time_already_past_today_is_tomorrow(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec())
    spec["timezone"] = "Europe/Amsterdam"  # 01:00 local at the clock's start
    spec["timeline"] = [{"at": "00:30", "vin": VIN, "action": "unplug"}]
    world = build_world(spec, clock)
    assert world.timeline[0].at == clock.now() + 23.5 * 3600


def test_starting_fixture_becomes_charging(tmp_path: Path, clock: FakeClock) -> None:
    payload = json.loads((FIXTURES / CHARGING_FIXTURE).read_text())
    payload["response"]["charge_state"]["charging_state"] = "Starting"
    path = tmp_path / "starting.json"
    path.write_text(json.dumps(payload))
    spec = account_spec(vehicle_spec(fixture=str(path), charging=True, settings={"starting_seconds": 5}))
    world = build_world(spec, clock)
    assert world.vehicles[VIN].charging_state == "Starting"
    run(world, clock, 5)
    assert world.vehicles[VIN].charging_state == "Charging"


def test_replay_serves_the_fixture_verbatim_until_a_command(clock: FakeClock) -> None:
    world = build_world(account_spec(vehicle_spec(fixture=CHARGING_FIXTURE, replay=True)), clock)
    car = world.vehicles[VIN]
    fixture = json.loads((FIXTURES / CHARGING_FIXTURE).read_text())["response"]["charge_state"]
    assert car.charge_state() == fixture
    run(world, clock, 600)
    assert car.charge_state() == fixture
    car.command("set_charge_limit", {"percent": 95})
    assert car.charge_state()["charge_limit_soc"] == 95
    assert car.charge_state()["timestamp"] == int(clock.now() * 1000)


def test_timeline_battery_level_action(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec())
    spec["timeline"] = [{"at": 60, "vin": VIN, "action": "battery_level", "level": 33}]
    world = build_world(spec, clock)
    run(world, clock, 60)
    assert world.vehicles[VIN].charge_state()["battery_level"] == 33


def test_timeline_rejects_an_unknown_action(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec())
    spec["timeline"] = [{"at": 60, "vin": VIN, "action": "fly"}]
    with pytest.raises(ValueError, match="fly"):
        build_world(spec, clock)


def test_timeline_rejects_an_unknown_vin(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec())
    spec["timeline"] = [{"at": 60, "vin": "NOPE", "action": "unplug"}]
    with pytest.raises(ValueError, match="NOPE"):
        build_world(spec, clock)


def test_apply_action_rejects_an_unknown_action(world: World) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        apply_action(world.vehicles[VIN], "fly", {})


# ------------------------------------------------------------ vehicle keys
def test_every_vehicle_key(clock: FakeClock) -> None:
    spec = account_spec(
        vehicle_spec(
            vin=VIN2,
            id=4242,
            display_name="Blue",
            timezone="Europe/Oslo",
            command_signing="required",
            battery_level=42,
            charge_limit=90,
            amps=10,
            amps_max=24,
            pilot_current=20,
            voltage=400,
            phases=3,
            capacity_kwh=100,
            charge_port_door_open=True,
            settings={"sleep_after": 60, "data_keeps_awake": False, "wake_delay": 5},
        )
    )
    car = build_world(spec, clock).vehicles[VIN2]
    assert (car.vin, car.vehicle_id, car.display_name) == (VIN2, 4242, "Blue")
    assert str(car.tz) == "Europe/Oslo"
    assert car.command_signing == "required"
    assert car.settings.sleep_after == 60
    assert car.settings.data_keeps_awake is False
    assert car.settings.wake_delay == 5
    state = car.charge_state()
    assert state["battery_level"] == 42
    assert state["charge_limit_soc"] == 90
    assert state["charge_current_request"] == 10
    assert state["charge_current_request_max"] == 24
    assert state["charger_pilot_current"] == 20
    assert state["charge_port_door_open"] is True
    assert car.line_voltage == 400
    assert car.phases == 3
    assert car.capacity_kwh == 100
    assert car.summary()["id_s"] == "4242"


def test_defaults_apply_to_every_vehicle(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec(), vehicle_spec(vin=VIN2, id=2, settings={"sleep_after": 30}))
    spec["defaults"] = {"settings": {"sleep_after": 120, "wake_delay": 7}, "timezone": "Asia/Tokyo"}
    for vehicle in spec["tesla"]["accounts"][0]["vehicles"]:
        vehicle.setdefault("settings", {}).pop("wake_delay", None)
    world = build_world(spec, clock)
    assert world.vehicles[VIN].settings.sleep_after == 900  # its own setting wins
    assert world.vehicles[VIN].settings.wake_delay == 7
    assert world.vehicles[VIN2].settings.sleep_after == 30
    assert str(world.vehicles[VIN2].tz) == "Asia/Tokyo"


def test_unknown_setting_is_an_error(clock: FakeClock) -> None:
    with pytest.raises(KeyError):
        build_world(account_spec(vehicle_spec(settings={"naps": True})), clock)


def test_charging_fixture_told_to_stop(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec(fixture=CHARGING_FIXTURE, charging=False))
    car = build_world(spec, clock).vehicles[VIN]
    assert car.charging_state == "Stopped"
    assert car.charge_state()["charge_enable_request"] is False


def test_charging_fixture_keeps_charging(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec(fixture=CHARGING_FIXTURE, charging=True))
    car = build_world(spec, clock).vehicles[VIN]
    state = car.charge_state()
    assert state["charging_state"] == "Charging"
    assert state["charger_voltage"] == 243
    assert state["charger_actual_current"] == 40
    assert car.display_name == "Model 3"  # the scenario's name beats the fixture's


def test_stopped_fixture_told_to_charge(clock: FakeClock) -> None:
    car = build_world(account_spec(vehicle_spec(battery_level=40, charging=True)), clock).vehicles[VIN]
    assert car.charging_state == "Charging"


def test_stopped_fixture_unplugged(clock: FakeClock) -> None:
    car = build_world(account_spec(vehicle_spec(plugged_in=False)), clock).vehicles[VIN]
    assert car.charging_state == "Disconnected"


def test_unplugged_car_plugged_in_by_the_scenario(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec(fixture=CHARGING_FIXTURE, plugged_in=False))
    spec["timeline"] = [{"at": 10, "vin": VIN, "action": "plug_in"}]
    world = build_world(spec, clock)
    assert world.vehicles[VIN].charging_state == "Disconnected"
    run(world, clock, 10)
    assert world.vehicles[VIN].charging_state == "Starting"


@pytest.mark.parametrize("charging", [False, True])
def test_unplugged_fixture_plugged_in_by_the_scenario(
    tmp_path: Path, clock: FakeClock, charging: bool
) -> None:
    """``plugged_in`` plugs in a car that its fixture has unplugged; ``charging`` decides the rest."""
    payload = json.loads((FIXTURES / CHARGING_FIXTURE).read_text())
    payload["response"]["charge_state"]["charging_state"] = "Disconnected"
    path = tmp_path / "unplugged.json"
    path.write_text(json.dumps(payload))
    spec = account_spec(vehicle_spec(fixture=str(path), plugged_in=True, charging=charging, battery_level=50))
    car = build_world(spec, clock).vehicles[VIN]
    assert car.plugged is True
    assert car.charging is charging
    assert car.charge_state()["charge_enable_request"] is charging


def test_complete_fixture(clock: FakeClock) -> None:
    spec = account_spec(vehicle_spec(fixture=COMPLETE_FIXTURE))
    car = build_world(spec, clock).vehicles[VIN]
    assert car.charging_state == "Complete"
    assert car.battery_level == 90


def test_fixture_from_an_absolute_path(tmp_path: Path, clock: FakeClock) -> None:
    payload = json.loads((FIXTURES / COMPLETE_FIXTURE).read_text())["response"]  # the bare object works too
    path = tmp_path / "car.json"
    path.write_text(json.dumps(payload))
    car = build_world(account_spec(vehicle_spec(fixture=str(path))), clock).vehicles[VIN]
    assert car.charging_state == "Complete"


def test_driving_and_state_keys(clock: FakeClock) -> None:
    spec = account_spec(
        vehicle_spec(driving={"minutes": 10, "miles": 5}), vehicle_spec(vin=VIN2, id=2, state="asleep")
    )
    world = build_world(spec, clock)
    assert world.vehicles[VIN].drive is not None
    assert world.vehicles[VIN].charging_state == "Disconnected"
    assert world.vehicles[VIN2].state == "asleep"


# ------------------------------------------------------------- account keys
def test_account_keys_and_tokens(clock: FakeClock) -> None:
    spec = account_spec(
        region="eu",
        tokens=[
            {"access_token": "a1", "refresh_token": "r1", "scopes": ["openid"], "expires_in": 60},
            {},  # generated tokens
        ],
    )
    world = build_world(spec, clock)
    account = world.accounts[ACCOUNT_ID]
    assert account.region == "eu"
    assert account.email == "owner@example.com"
    assert account.vins == [VIN]
    assert world.tokens.access["a1"].scopes == ("openid",)
    assert world.tokens.access["a1"].expires_at == clock.now() + 60
    generated = [t for t in world.tokens.access if t != "a1"]
    assert len(generated) == 1
    assert generated[0].count(".") == 2  # JWT-like
    assert world.account_of(VIN) is account
    assert world.account_of("nope") is None


def test_account_without_an_id_gets_one(clock: FakeClock) -> None:
    world = build_world({"tesla": {"accounts": [{"email": "x@example.com"}]}}, clock)
    (account,) = world.accounts.values()
    assert len(account.account_id) == 36
    assert account.full_name == "Tesla Owner"


def test_empty_scenario(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    world = build_world(load_spec(path), clock)
    assert world.vehicles == {}
    assert world.accounts == {}


def test_scenario_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(TypeError, match="mapping"):
        load_spec(path)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (None, None),
        (1_700_000_000, 1_700_000_000.0),
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp()),
        ("2026-03-01T12:00:00+01:00", datetime(2026, 3, 1, 11, tzinfo=UTC).timestamp()),
    ],
)
def test_scenario_start(start: Any, expected: float | None) -> None:
    spec = {} if start is None else {"start": start}
    assert scenario_start(spec) == expected


def test_default_demo(clock: FakeClock) -> None:
    world = build_world(default_spec(), clock)
    model3 = world.vehicles["LRW3E7EK4NC000001"]
    assert model3.state == "asleep"
    assert model3.charging_state == "Stopped"
    assert model3.charge_state()["battery_level"] == 55
    roadster = world.vehicles["5YJSA1E41GF000002"]
    assert roadster.drive is not None
    assert roadster.charging_state == "Disconnected"
    assert world.tokens.access["demo-access-token"].expires_at == clock.now() + 28800
