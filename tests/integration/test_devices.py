"""Devices over time: cars added to the account later, and cars that left it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_KNOWN_VEHICLES,
    CONF_VEHICLES,
    DISCOVERY_INTERVAL,
    DOMAIN,
)
from simulator.scenario import load_fixture
from simulator.tesla.vehicle import SimVehicle

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, VIN, SimulatorHandle, account_spec, vehicle_spec
from .common import device_for, last_seq, schema_fields, tick

NEW_VIN = "5YJ3E7EB0KF000009"
LEFT_OUT = "5YJ3E7EB0KF000008"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(vehicle_spec(), vehicle_spec(vin=LEFT_OUT, id=100008, display_name="Left Out"))


@pytest.fixture
def entry_data(entry_data: dict[str, Any]) -> dict[str, Any]:
    # The user chose one of the two cars at set-up.
    return {**entry_data, CONF_VEHICLES: [VIN], CONF_KNOWN_VEHICLES: [VIN, LEFT_OUT]}


async def _next_discovery(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(DISCOVERY_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _buy_a_car(sim: SimulatorHandle) -> None:
    car = SimVehicle.from_payload(
        load_fixture("ha_tesla_fleet_vehicle_data.json"),
        t=sim.world.now(),
        vin=NEW_VIN,
        vehicle_id=100009,
        display_name="New Car",
    )
    sim.world.add_vehicle(sim.world.accounts[ACCOUNT_ID], car)


async def test_a_car_added_to_the_account_appears_by_itself(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert hass.states.get("switch.new_car_charging") is None
    _buy_a_car(sim)
    await _next_discovery(hass, freezer)
    state = hass.states.get("switch.new_car_charging")
    assert state is not None
    assert state.state == "off"
    assert hass.states.get("sensor.new_car_battery") is not None
    assert setup_integration.data[CONF_VEHICLES] == [VIN, NEW_VIN]
    assert setup_integration.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT, NEW_VIN]
    # The next start knows it: it is set up again, not "discovered" twice.
    await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()
    assert set(setup_integration.runtime_data.coordinators) == {VIN, NEW_VIN}


async def test_a_car_left_out_at_setup_stays_out(
    hass: HomeAssistant, setup_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await _next_discovery(hass, freezer)
    assert hass.states.get("switch.left_out_charging") is None
    assert list(setup_integration.runtime_data.coordinators) == [VIN]


async def test_discovery_failures_are_quiet_and_retried(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    _buy_a_car(sim)
    await sim.fault(kind="server_error", path="^/api/1/vehicles$", count=1)
    await _next_discovery(hass, freezer)
    assert hass.states.get("switch.new_car_charging") is None
    await _next_discovery(hass, freezer)
    assert hass.states.get("switch.new_car_charging") is not None


async def _remove_device_as_the_user_does(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entry: MockConfigEntry, device_id: str
) -> dict[str, Any]:
    """The device page's "Delete", through the websocket API."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device_id,
        }
    )
    response: dict[str, Any] = await client.receive_json()
    await hass.async_block_till_done(wait_background_tasks=True)
    return response


def _sell(sim: SimulatorHandle, vin: str) -> None:
    sim.world.remove_vehicle(sim.world.accounts[ACCOUNT_ID], vin)


def _entities_of(hass: HomeAssistant, vin: str) -> list[er.RegistryEntry]:
    return [e for e in er.async_get(hass).entities.values() if e.unique_id.startswith(f"{vin}_")]


async def test_a_device_of_a_car_no_longer_set_up_can_be_deleted(
    hass: HomeAssistant, setup_integration: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    registry = dr.async_get(hass)
    gone = registry.async_get_or_create(
        config_entry_id=setup_integration.entry_id, identifiers={(DOMAIN, "5YJ3E7EB0KF000007")}, name="Sold"
    )
    response = await _remove_device_as_the_user_does(hass, hass_ws_client, setup_integration, gone.id)
    assert response["success"]
    assert registry.async_get(gone.id) is None
    assert list(setup_integration.runtime_data.coordinators) == [VIN]


async def test_deleting_a_cars_device_stops_controlling_it_for_good(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    active = device_for(hass, (DOMAIN, VIN))
    assert active is not None
    response = await _remove_device_as_the_user_does(hass, hass_ws_client, setup_integration, active.id)
    assert response["success"]
    assert device_for(hass, (DOMAIN, VIN)) is None
    assert hass.states.get("switch.model_3_charging") is None
    assert _entities_of(hass, VIN) == []
    assert setup_integration.runtime_data.coordinators == {}
    assert setup_integration.data[CONF_VEHICLES] == []
    # Still known, so it is not taken for a car the account gained.
    assert setup_integration.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT]
    seq = await last_seq(sim)
    await _next_discovery(hass, freezer)
    await tick(hass, freezer, timedelta(minutes=30))
    assert device_for(hass, (DOMAIN, VIN)) is None
    assert [r["path"] for r in await sim.requests(since=seq) if VIN in r["path"]] == []


async def test_a_car_can_be_deleted_while_the_entry_is_not_loaded(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Set-up is being retried (the API is down): deleting the car must not fail."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=config_entry.entry_id, identifiers={(DOMAIN, VIN)}, name="Model 3"
    )
    await sim.fault(kind="server_error", path="^/api/1/vehicles$")
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    response = await _remove_device_as_the_user_does(hass, hass_ws_client, config_entry, device.id)
    assert response["success"]
    assert config_entry.data[CONF_VEHICLES] == []


async def test_a_car_sold_is_removed_with_its_entities(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    _buy_a_car(sim)
    await _next_discovery(hass, freezer)
    assert hass.states.get("switch.new_car_charging") is not None

    _sell(sim, NEW_VIN)
    await _next_discovery(hass, freezer)
    assert device_for(hass, (DOMAIN, NEW_VIN)) is None
    assert hass.states.get("switch.new_car_charging") is None
    assert _entities_of(hass, NEW_VIN) == []
    assert list(setup_integration.runtime_data.coordinators) == [VIN]
    assert setup_integration.data[CONF_VEHICLES] == [VIN]
    assert setup_integration.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT]
    # Its coordinator stopped: nothing more is asked about it.
    seq = await last_seq(sim)
    await tick(hass, freezer, timedelta(hours=1))
    assert [r["path"] for r in await sim.requests(since=seq) if NEW_VIN in r["path"]] == []
    # The other car is untouched.
    assert hass.states.get("switch.model_3_charging") is not None


async def test_a_car_sold_while_home_assistant_was_off_is_removed_at_start(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle
) -> None:
    sold = "5YJ3E7EB0KF000007"
    hass.config_entries.async_update_entry(
        config_entry,
        data={**config_entry.data, CONF_VEHICLES: [VIN, sold], CONF_KNOWN_VEHICLES: [VIN, LEFT_OUT, sold]},
    )
    dr.async_get(hass).async_get_or_create(
        config_entry_id=config_entry.entry_id, identifiers={(DOMAIN, sold)}, name="Sold"
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert device_for(hass, (DOMAIN, sold)) is None
    assert device_for(hass, (DOMAIN, VIN)) is not None
    assert config_entry.data[CONF_VEHICLES] == [VIN]
    assert config_entry.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT]


async def test_an_empty_vehicle_list_removes_nothing(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An account that suddenly lists no car at all is more likely a fault than a sold fleet."""
    account = sim.world.accounts[ACCOUNT_ID]
    vins = list(account.vins)
    account.vins.clear()
    await _next_discovery(hass, freezer)
    account.vins.extend(vins)
    assert device_for(hass, (DOMAIN, VIN)) is not None
    assert list(setup_integration.runtime_data.coordinators) == [VIN]
    assert setup_integration.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT]


async def test_entries_from_before_known_vehicles_learn_them(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle
) -> None:
    data = dict(config_entry.data)
    data.pop(CONF_KNOWN_VEHICLES)
    hass.config_entries.async_update_entry(config_entry, data=data)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT]
    assert list(config_entry.runtime_data.coordinators) == [VIN]


async def test_an_account_listing_no_car_at_start_removes_no_device(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle
) -> None:
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=config_entry.entry_id, identifiers={(DOMAIN, VIN)}, name="Model 3"
    )
    sim.world.accounts[ACCOUNT_ID].vins.clear()
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert dr.async_get(hass).async_get(device.id) is not None
    assert config_entry.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT]
    assert config_entry.data[CONF_VEHICLES] == [VIN]


# ------------------------------------------------------- choosing the cars again
async def _reconfigure_cars(hass: HomeAssistant, entry: MockConfigEntry, sim: SimulatorHandle) -> Any:
    """Reconfigure keeps the API URL and goes on to the car choice."""
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_token"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_URL: sim.url})
    assert result["step_id"] == "vehicles"
    return result


async def test_reconfigure_adds_a_car_left_out_and_removes_one_no_longer_wanted(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    result = await _reconfigure_cars(hass, setup_integration, sim)
    # The entry's own choice is offered.
    assert schema_fields(result) == {CONF_VEHICLES: {"default": [VIN]}}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_VEHICLES: [LEFT_OUT]})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert setup_integration.state is ConfigEntryState.LOADED
    assert setup_integration.data[CONF_VEHICLES] == [LEFT_OUT]
    assert hass.states.get("switch.left_out_charging") is not None
    assert device_for(hass, (DOMAIN, VIN)) is None
    assert hass.states.get("switch.model_3_charging") is None

    result = await _reconfigure_cars(hass, setup_integration, sim)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_VEHICLES: []})
    assert result["errors"] == {CONF_VEHICLES: "no_vehicles_selected"}
    assert setup_integration.data[CONF_VEHICLES] == [LEFT_OUT]


async def test_a_car_bought_while_the_entry_waited_for_a_sign_in_is_added_after_it(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle
) -> None:
    """Reauth lists the account again: it must not take the new car for one left out."""
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_ACCESS_TOKEN: "revoked"}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    _buy_a_car(sim)
    (flow,) = hass.config_entries.flow.async_progress()
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_token"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_ACCESS_TOKEN: ACCESS_TOKEN}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert config_entry.data[CONF_VEHICLES] == [VIN, NEW_VIN]
    assert config_entry.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT, NEW_VIN]
    assert hass.states.get("switch.new_car_charging") is not None
    assert hass.states.get("switch.left_out_charging") is None
