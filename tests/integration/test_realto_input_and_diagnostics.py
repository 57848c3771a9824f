"""A re.alto car with neither name nor model: diagnostics hide its VIN; action input is refused before sending."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import DOMAIN
from custom_components.ev_charge_control.diagnostics import async_get_config_entry_diagnostics

from ..helpers import ENTITY_ID, SimulatorHandle, realto_entity_spec, realto_spec
from .common import device_for, realto_entry_data

VIN_ONLY = "WVWZZZ1KZAW000777"


@pytest.fixture
def scenario() -> dict[str, Any]:
    # An EV whose platform entry names no make, model or name (re.alto's own shape).
    spec = realto_entity_spec(name=None, manufacturer=None, model=None, vin=VIN_ONLY)
    return realto_spec({k: v for k, v in spec.items() if v is not None})


@pytest.fixture
def entry_data(sim: SimulatorHandle) -> dict[str, Any]:
    return realto_entry_data(sim)


async def test_diagnostics_do_not_name_the_car_by_its_vin(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    # Without a name, make or model, the car's name is its VIN.
    assert setup_integration.runtime_data.coordinators[ENTITY_ID].vehicle.name == VIN_ONLY
    diag = await async_get_config_entry_diagnostics(hass, setup_integration)
    assert VIN_ONLY not in json.dumps(diag, default=str)
    assert [vehicle["name"] for vehicle in diag["vehicles"]] == ["vehicle 1"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"start": "2030-01-01 01:00", "end": "2030-01-01 05:00", "ignore_cooldown": 2}, "invalid_boolean"),
        (
            {"start": "2030-01-01 01:00", "end": "2030-01-01 05:00", "ignore_cooldown": "maybe"},
            "invalid_boolean",
        ),
        ({"start": ["2030-01-01 01:00"], "end": "2030-01-01 05:00"}, "invalid_datetime"),
        ({"start": "2030-01-01 01:00"}, "missing_field"),
        ({"start": "2030-01-01 05:00", "end": "2030-01-01 05:00"}, "end_before_start"),
    ],
)
async def test_action_input_that_cannot_apply_is_refused(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    data: dict[str, Any],
    key: str,
) -> None:
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "schedule_charging", {"device_id": device.id, **data}, blocking=True
        )
    assert err.value.translation_key == key
    assert await sim.call("GET", "/sim/realto/commands") == []


async def test_actions_on_devices_that_are_not_loaded_cars_of_this_integration_are_refused(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    foreign = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "x")}
    )
    for device_id in (foreign.id, "not-a-device", [foreign.id], 12):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "cancel_scheduled_charging", {"device_id": device_id}, blocking=True
            )
        assert err.value.translation_key == "invalid_device"
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    # A Tesla-only action on a re.alto car.
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_scheduled_charging",
            {"device_id": device.id, "enable": True, "time": "25:00"},
            blocking=True,
        )
    assert err.value.translation_key == "not_supported"
    # The entry unloaded: its car's actions are refused, not crashed.
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "cancel_scheduled_charging", {"device_id": device.id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_loaded"
    assert await sim.call("GET", "/sim/realto/commands") == []
