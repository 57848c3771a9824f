"""Every entity's state, read from the three real vehicle_data payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from ..helpers import VIN, account_spec, vehicle_spec
from .common import entity_state

FIXTURES = Path(__file__).parents[2] / "simulator" / "fixtures"
MILES = 1.609344

CASES = {
    "fleet_stopped": "ha_tesla_fleet_vehicle_data.json",
    "owner_charging_2018": "timdorr_owner_api_vehicle_data_2018_charging.json",
    "owner_complete_2020": "timdorr_owner_api_vehicle_data_2020_complete.json",
}


def _charge_state(fixture: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / fixture).read_text())["response"]["charge_state"]
    return data


@pytest.fixture(params=list(CASES), ids=list(CASES))
def fixture_name(request: pytest.FixtureRequest) -> str:
    return CASES[request.param]


@pytest.fixture
def scenario(fixture_name: str) -> dict[str, Any]:
    # replay: the simulator serves the payload's charge_state exactly as recorded.
    return account_spec(vehicle_spec(fixture=fixture_name, display_name="Model 3", replay=True))


def _entity_ids(hass: HomeAssistant, entry_id: str) -> dict[str, str]:
    registry = er.async_get(hass)
    return {
        e.unique_id.removeprefix(f"{VIN}_"): e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry_id)
    }


def _number(hass: HomeAssistant, entity_id: str) -> float:
    return float(entity_state(hass, entity_id))


async def test_every_entity_follows_the_payload(
    hass: HomeAssistant, setup_integration: Any, fixture_name: str
) -> None:
    charge = _charge_state(fixture_name)
    ids = _entity_ids(hass, setup_integration.entry_id)
    charging = charge["charging_state"] in ("Starting", "Charging")

    assert entity_state(hass, ids["charging"]) == (STATE_ON if charging else STATE_OFF)
    assert entity_state(hass, ids["scheduled_charging"]) == (
        STATE_ON
        if charge.get("scheduled_charging_mode") == "StartAt"
        else STATE_OFF
        if "scheduled_charging_mode" in charge
        else STATE_UNKNOWN
    )
    assert _number(hass, ids["charge_limit"]) == charge["charge_limit_soc"]
    assert _number(hass, ids["charging_amps"]) == charge["charge_current_request"]
    assert _number(hass, ids["battery_level"]) == charge["battery_level"]
    assert _number(hass, ids["range"]) == pytest.approx(charge["battery_range"] * MILES, abs=0.01)
    assert entity_state(hass, ids["charging_state"]) == charge["charging_state"].lower()
    assert _number(hass, ids["charger_power"]) == charge["charger_power"]
    assert _number(hass, ids["charge_rate"]) == pytest.approx(charge["charge_rate"] * MILES, abs=0.01)
    assert _number(hass, ids["energy_added"]) == charge["charge_energy_added"]
    expected_minutes = charge.get("minutes_to_full_charge")
    if expected_minutes is None:
        expected_minutes = round(charge["time_to_full_charge"] * 60)
    assert _number(hass, ids["time_to_full"]) == expected_minutes
    assert entity_state(hass, ids["plugged_in"]) == STATE_ON
    assert entity_state(hass, ids["charge_port_open"]) == (
        STATE_ON if charge["charge_port_door_open"] else STATE_OFF
    )
    assert entity_state(hass, ids["online"]) == STATE_ON
    assert entity_state(hass, ids["scheduled_charging_start"]) == STATE_UNKNOWN
    assert entity_state(hass, ids["data_updated"]) != STATE_UNKNOWN
    # One vehicle_data call so far, at Tesla's price.
    assert _number(hass, ids["api_cost"]) == pytest.approx(0.002)
    for button in ("open_charge_port", "close_charge_port", "max_range", "standard_range"):
        assert entity_state(hass, ids[button]) == STATE_UNKNOWN


async def test_limits_come_from_the_car(
    hass: HomeAssistant, setup_integration: Any, fixture_name: str
) -> None:
    charge = _charge_state(fixture_name)
    ids = _entity_ids(hass, setup_integration.entry_id)
    limit = hass.states.get(ids["charge_limit"])
    amps = hass.states.get(ids["charging_amps"])
    assert limit is not None
    assert amps is not None
    assert limit.attributes["min"] == charge["charge_limit_soc_min"]
    assert limit.attributes["max"] == charge["charge_limit_soc_max"]
    assert amps.attributes["min"] == 1
    assert amps.attributes["max"] == charge["charge_current_request_max"]


async def test_one_device_named_by_the_owner(hass: HomeAssistant, setup_integration: Any) -> None:
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, setup_integration.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.name == "Model 3"
    assert device.manufacturer == "Tesla"
    assert device.model == "Model 3"
    assert device.serial_number == VIN
    # Names read well when spoken: "turn on Model 3 charging".
    state = hass.states.get("switch.model_3_charging")
    assert state is not None
    assert state.attributes["friendly_name"] == "Model 3 Charging"


async def test_disabled_by_default(hass: HomeAssistant, setup_integration: Any) -> None:
    registry = er.async_get(hass)
    disabled = {
        e.unique_id.removeprefix(f"{VIN}_")
        for e in er.async_entries_for_config_entry(registry, setup_integration.entry_id)
        if e.disabled_by is not None
    }
    assert disabled == {
        "charge_limit_sensor",
        "api_data_requests",
        "api_command_requests",
        "api_wake_requests",
    }
