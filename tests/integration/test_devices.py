"""Devices over time: cars added to the account later, and cars that left it."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ev_charge_control import async_remove_config_entry_device
from custom_components.ev_charge_control.const import (
    CONF_KNOWN_VEHICLES,
    CONF_VEHICLES,
    DISCOVERY_INTERVAL,
    DOMAIN,
)
from simulator.scenario import load_fixture
from simulator.tesla.vehicle import SimVehicle

from ..helpers import ACCOUNT_ID, VIN, SimulatorHandle, account_spec, vehicle_spec
from .common import device_for

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


async def test_only_cars_no_longer_set_up_can_be_deleted(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    hass_ws_client: WebSocketGenerator,
) -> None:
    registry = dr.async_get(hass)
    gone = registry.async_get_or_create(
        config_entry_id=setup_integration.entry_id, identifiers={(DOMAIN, "5YJ3E7EB0KF000007")}, name="Sold"
    )
    active = device_for(hass, (DOMAIN, VIN))
    assert active is not None
    assert await async_remove_config_entry_device(hass, setup_integration, gone)
    assert not await async_remove_config_entry_device(hass, setup_integration, active)
    # As the user does it, from the device page.
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": setup_integration.entry_id,
            "device_id": gone.id,
        }
    )
    response = await client.receive_json()
    assert response["success"]
    assert registry.async_get(gone.id) is None


async def test_entries_from_before_known_vehicles_learn_them(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle
) -> None:
    data = dict(config_entry.data)
    data.pop(CONF_KNOWN_VEHICLES)
    hass.config_entries.async_update_entry(config_entry, data=data)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.data[CONF_KNOWN_VEHICLES] == [VIN, LEFT_OUT]
    assert list(config_entry.runtime_data.coordinators) == [VIN]
