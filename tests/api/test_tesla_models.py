"""The payload models, fed the three real vehicle_data fixtures and odd values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.ev_charge_control.api.tesla import (
    ChargeState,
    ChargingState,
    TeslaClient,
    Vehicle,
    VehicleData,
    VehicleState,
)

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec

FIXTURES = Path(__file__).parents[2] / "simulator" / "fixtures"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())["response"]
    return data


# Values from reference section 5.1, columns A, D and C.
EXPECTED: dict[str, dict[str, Any]] = {
    "ha_tesla_fleet_vehicle_data.json": {
        "vin": "LRWXF7EK4KC700000",
        "vehicle_id": 1234,
        "charge": ChargeState(
            battery_level=77,
            usable_battery_level=77,
            battery_range=266.87,
            est_battery_range=275.04,
            charge_limit_soc=80,
            charge_limit_soc_min=50,
            charge_limit_soc_max=100,
            charge_limit_soc_std=80,
            charge_current_request=16,
            charge_current_request_max=16,
            charger_actual_current=0,
            charger_pilot_current=16,
            charger_power=0.0,
            charger_voltage=2,
            charger_phases=None,
            charge_rate=0.0,
            charge_energy_added=0.0,
            charging_state=ChargingState.STOPPED,
            charge_port_door_open=True,
            charge_port_latch="Engaged",
            conn_charge_cable="IEC",
            minutes_to_full_charge=0,
            time_to_full_charge=0.0,
            scheduled_charging_mode="Off",
            scheduled_charging_pending=False,
            scheduled_charging_start_time=None,
            # The schedule is off; 600 is the time last set in the app.
            scheduled_charging_start_time_minutes=600,
            scheduled_departure_time_minutes=480,
            off_peak_charging_enabled=False,
            off_peak_charging_times="all_week",
            off_peak_hours_end_time=900,
            preconditioning_enabled=False,
            preconditioning_times="all_week",
            timestamp=1705707520649,
        ),
        "plugged": True,
        "charging": False,
    },
    "timdorr_owner_api_vehicle_data_2018_charging.json": {
        "vin": "5YJSA1E41GF167745",
        "vehicle_id": 19298251174317440,
        "charge": ChargeState(
            battery_level=73,
            usable_battery_level=73,
            battery_range=187.18,
            est_battery_range=157.31,
            charge_limit_soc=90,
            charge_limit_soc_min=50,
            charge_limit_soc_max=100,
            charge_limit_soc_std=90,
            charge_current_request=40,
            charge_current_request_max=40,
            charger_actual_current=39,
            charger_pilot_current=40,
            charger_power=9.0,
            charger_voltage=243,
            charger_phases=1,
            charge_rate=28.1,
            charge_energy_added=14.32,
            charging_state=ChargingState.CHARGING,
            charge_port_door_open=True,
            charge_port_latch="Engaged",
            conn_charge_cable="SAE",
            minutes_to_full_charge=None,
            time_to_full_charge=1.5,
            scheduled_charging_pending=False,
            timestamp=1544499391155,
        ),
        "plugged": True,
        "charging": True,
    },
    "timdorr_owner_api_vehicle_data_2020_complete.json": {
        "vin": "5YJSA1E41GF167745",
        "vehicle_id": 26640707449551857,
        "charge": ChargeState(
            battery_level=90,
            usable_battery_level=90,
            battery_range=224.81,
            est_battery_range=171.24,
            charge_limit_soc=90,
            charge_limit_soc_min=50,
            charge_limit_soc_max=100,
            charge_limit_soc_std=90,
            charge_current_request=40,
            charge_current_request_max=40,
            charger_actual_current=0,
            charger_pilot_current=40,
            charger_power=0.0,
            charger_voltage=0,
            charger_phases=None,
            charge_rate=0.0,
            charge_energy_added=29.41,
            charging_state=ChargingState.COMPLETE,
            charge_port_door_open=True,
            charge_port_latch="Engaged",
            conn_charge_cable="SAE",
            minutes_to_full_charge=0,
            time_to_full_charge=0.0,
            scheduled_charging_pending=False,
            timestamp=1604976818400,
        ),
        "plugged": True,
        "charging": False,
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_fixtures_parse(name: str) -> None:
    payload = load(name)
    expected = EXPECTED[name]
    data = VehicleData.from_dict(payload)
    assert data.vehicle.vin == expected["vin"]
    assert data.vehicle.vehicle_id == expected["vehicle_id"]
    assert data.vehicle.state is VehicleState.ONLINE
    assert data.charge_state == expected["charge"]
    assert data.charge_state is not None
    assert data.charge_state.is_plugged_in is expected["plugged"]
    assert data.charge_state.is_charging is expected["charging"]
    assert data.charge_state.raw is payload["charge_state"]
    assert data.raw is payload


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_real_fixtures_through_the_simulator(name: str, sim: SimulatorHandle, make_client: Any) -> None:
    # The simulator seeds a car from each fixture; what the client reads back must agree.
    client: TeslaClient = make_client()
    data = await client.vehicle_data(VIN)
    assert data.charge_state is not None
    expected: ChargeState = EXPECTED[name]["charge"]
    assert data.charge_state.battery_level == expected.battery_level
    assert data.charge_state.charge_limit_soc == expected.charge_limit_soc
    assert data.charge_state.charging_state is expected.charging_state
    assert data.charge_state.charge_current_request_max == expected.charge_current_request_max
    assert data.charge_state.conn_charge_cable == expected.conn_charge_cable


@pytest.fixture
def scenario(request: pytest.FixtureRequest) -> dict[str, Any]:
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("name") if callspec is not None else None
    if name is None:
        return account_spec()
    # The fixture's own state (charging, complete...) is kept: no plug/charge overrides.
    spec = vehicle_spec(fixture=name)
    for key in ("plugged_in", "charging"):
        spec.pop(key)
    return account_spec(spec)


@pytest.mark.parametrize(
    ("charge", "plugged", "charging"),
    [
        ({"charging_state": "Starting"}, True, True),
        ({"charging_state": "Charging"}, True, True),
        ({"charging_state": "Stopped"}, True, False),
        ({"charging_state": "Complete"}, True, False),
        ({"charging_state": "NoPower"}, True, False),
        ({"charging_state": "Calibrating"}, True, False),
        ({"charging_state": "Disconnected", "conn_charge_cable": "<invalid>"}, False, False),
        # A flap to Disconnected while the cable is still latched reads as plugged in.
        (
            {"charging_state": "Disconnected", "charge_port_latch": "Engaged", "conn_charge_cable": "IEC"},
            True,
            False,
        ),
        (
            {"charging_state": "Disconnected", "charge_port_latch": "Engaged", "conn_charge_cable": "SNA"},
            False,
            False,
        ),
        ({"charging_state": "Disconnected", "charge_port_latch": "Engaged"}, False, False),
        (
            {"charging_state": "Disconnected", "charge_port_latch": "Blocking", "conn_charge_cable": "IEC"},
            False,
            False,
        ),
        ({"charging_state": "Unknown"}, None, False),
        ({"charging_state": "Supercharging"}, None, False),
        ({"charging_state": 3}, None, False),
        ({}, None, False),
    ],
)
def test_plugged_in_and_charging(charge: dict[str, Any], plugged: bool | None, charging: bool) -> None:
    state = ChargeState.from_dict(charge)
    assert state.is_plugged_in is plugged
    assert state.is_charging is charging


def test_unknown_charging_state_reads_as_unknown() -> None:
    state = ChargeState.from_dict({"charging_state": "Supercharging"})
    assert state.charging_state is ChargingState.UNKNOWN
    assert state.raw["charging_state"] == "Supercharging"
    assert ChargeState.from_dict({}).charging_state is None


def test_scheduled_start_falls_back_to_the_app_value() -> None:
    start_at = {"scheduled_charging_mode": "StartAt", "scheduled_charging_start_time_app": 600}
    assert ChargeState.from_dict(start_at).scheduled_charging_start_time_minutes == 600
    both = {**start_at, "scheduled_charging_start_time_minutes": 420}
    assert ChargeState.from_dict(both).scheduled_charging_start_time_minutes == 420
    # With the schedule off the car reports only the app's last value: the time it
    # will use when the schedule is turned on again.
    off = {"scheduled_charging_mode": "Off", "scheduled_charging_start_time_app": 600}
    assert ChargeState.from_dict(off).scheduled_charging_start_time_minutes == 600
    assert (
        ChargeState.from_dict({"scheduled_charging_mode": "Off"}).scheduled_charging_start_time_minutes
        is None
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1_767_225_600, 1_767_225_600),
        (1_767_225_600_000, 1_767_225_600),  # milliseconds, as some services send
        (10**18, None),
        (-5, None),
        ("1767225600", 1_767_225_600),
        (float("inf"), None),
    ],
)
def test_schedule_times_in_milliseconds_or_implausible(value: Any, seconds: int | None) -> None:
    state = ChargeState.from_dict({"scheduled_charging_start_time": value})
    assert state.scheduled_charging_start_time == seconds


@pytest.mark.parametrize(("value", "hours"), [(1.5, 1.5), (1e308, None), (-1, None), (float("nan"), None)])
def test_time_to_full_outside_a_year_reads_as_unknown(value: float, hours: float | None) -> None:
    assert ChargeState.from_dict({"time_to_full_charge": value}).time_to_full_charge == hours


@pytest.mark.parametrize(
    ("value", "as_int", "as_float"),
    [
        (16, 16, 16.0),
        (16.7, 16, 16.7),
        ("12", 12, 12.0),
        ("1.5", None, 1.5),
        (True, None, None),
        (None, None, None),
        ("<invalid>", None, None),
        ([1], None, None),
    ],
)
def test_numbers_are_read_leniently(value: Any, as_int: int | None, as_float: float | None) -> None:
    state = ChargeState.from_dict({"battery_level": value, "charger_power": value})
    assert state.battery_level == as_int
    assert state.charger_power == as_float


def test_wrong_types_read_as_unknown() -> None:
    state = ChargeState.from_dict(
        {"charge_port_door_open": "true", "charge_port_latch": 1, "scheduled_charging_pending": 0}
    )
    assert state.charge_port_door_open is None
    assert state.charge_port_latch is None
    assert state.scheduled_charging_pending is None


@pytest.mark.parametrize(
    ("data", "vin", "state"),
    [
        ({"vin": VIN, "state": "online"}, VIN, VehicleState.ONLINE),
        ({"vin": VIN, "state": "asleep"}, VIN, VehicleState.ASLEEP),
        ({"vin": VIN, "state": "offline"}, VIN, VehicleState.OFFLINE),
        ({"vin": VIN, "state": "waking"}, VIN, VehicleState.UNKNOWN),
        ({"vin": VIN, "state": None}, VIN, VehicleState.UNKNOWN),
        ({"vin": None}, "", VehicleState.UNKNOWN),
        ({"vin": 123}, "", VehicleState.UNKNOWN),
        ({}, "", VehicleState.UNKNOWN),
    ],
)
def test_vehicle_from_dict(data: dict[str, Any], vin: str, state: VehicleState) -> None:
    vehicle = Vehicle.from_dict(data)
    assert (vehicle.vin, vehicle.state) == (vin, state)
    assert vehicle.is_online is (state is VehicleState.ONLINE)
    assert vehicle.display_name is None
    assert vehicle.vehicle_id is None


def test_vehicle_data_without_charge_state() -> None:
    data = VehicleData.from_dict({"vin": VIN, "state": "online", "charge_state": None})
    assert data.charge_state is None
    assert data.vehicle.vin == VIN
