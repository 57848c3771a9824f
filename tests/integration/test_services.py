"""The actions: what reaches the car, and bad input refused with nothing sent."""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.ev_charge_control.const import DOMAIN

from ..helpers import VIN, SimulatorHandle
from .common import device_for, sent_commands


def _device_id(hass: HomeAssistant) -> str:
    device = device_for(hass, (DOMAIN, VIN))
    assert device is not None
    return device.id


async def _call(hass: HomeAssistant, service: str, **data: Any) -> None:
    await hass.services.async_call(DOMAIN, service, data, blocking=True)


async def test_set_scheduled_charging(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await _call(hass, "set_scheduled_charging", device_id=_device_id(hass), enable=True, time="23:30")
    assert sent_commands(await sim.requests()) == [("set_scheduled_charging", {"enable": True, "time": 1410})]
    car = await sim.vehicle()
    assert car["charge_state"]["scheduled_charging_mode"] == "StartAt"
    assert car["charge_state"]["scheduled_charging_start_time_minutes"] == 1410
    state = hass.states.get("switch.model_3_scheduled_charging")
    assert state is not None
    assert state.state == STATE_ON


async def test_disable_scheduled_charging_keeps_the_time(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await _call(hass, "set_scheduled_charging", device_id=_device_id(hass), enable=False)
    assert sent_commands(await sim.requests()) == [("set_scheduled_charging", {"enable": False, "time": 600})]


async def test_set_scheduled_departure_sends_all_seven_parameters(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await _call(
        hass,
        "set_scheduled_departure",
        device_id=_device_id(hass),
        enable=True,
        departure_time="07:45",
        preconditioning_enabled=True,
        preconditioning_weekdays_only=True,
        off_peak_charging_enabled=True,
        off_peak_charging_weekdays_only=False,
        end_off_peak_time="06:00",
    )
    assert sent_commands(await sim.requests()) == [
        (
            "set_scheduled_departure",
            {
                "enable": True,
                "departure_time": 465,
                "preconditioning_enabled": True,
                "preconditioning_weekdays_only": True,
                "off_peak_charging_enabled": True,
                "off_peak_charging_weekdays_only": False,
                "end_off_peak_time": 360,
            },
        )
    ]
    charge = (await sim.vehicle())["charge_state"]
    assert charge["scheduled_charging_mode"] == "DepartBy"
    assert charge["preconditioning_times"] == "weekdays"


async def test_disable_scheduled_departure(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await _call(hass, "set_scheduled_departure", device_id=_device_id(hass), enable=False)
    ((name, body),) = sent_commands(await sim.requests())
    assert name == "set_scheduled_departure"
    assert body["enable"] is False


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("set_scheduled_charging", {"enable": True}, "time_required"),
        ("set_scheduled_charging", {"enable": True, "time": "25:99"}, "invalid_time"),
        ("set_scheduled_charging", {"enable": True, "time": "soon"}, "invalid_time"),
        ("set_scheduled_charging", {"enable": True, "time": 7}, "invalid_time"),
        ("set_scheduled_charging", {"enable": "maybe", "time": "07:00"}, "invalid_boolean"),
        ("set_scheduled_departure", {"departure_time": "7 am"}, "invalid_time"),
        ("set_scheduled_departure", {"enable": True}, "time_required"),
        (
            "set_scheduled_departure",
            {"departure_time": "07:00", "off_peak_charging_enabled": True},
            "time_required",
        ),
        (
            "set_scheduled_departure",
            {"departure_time": "07:00", "preconditioning_enabled": "x"},
            "invalid_boolean",
        ),
        ("set_scheduled_departure", {"enable": None}, "missing_field"),
    ],
)
async def test_bad_input_is_refused_and_nothing_sent(
    hass: HomeAssistant,
    setup_integration: Any,
    sim: SimulatorHandle,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, device_id=_device_id(hass), **data)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert sent_commands(await sim.requests()) == []


async def test_unknown_fields_are_refused_by_the_schema(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    with pytest.raises(vol.Invalid):
        await _call(hass, "set_scheduled_charging", device_id=_device_id(hass), enable=True, tim="07:00")
    assert sent_commands(await sim.requests()) == []


async def test_a_device_of_another_integration_is_refused(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    other = MockConfigEntry(domain="other_integration")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other_integration", "x")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_scheduled_charging", device_id=device.id, enable=True, time="07:00")
    assert err.value.translation_key == "invalid_device"
    assert sent_commands(await sim.requests()) == []


async def test_an_unknown_device_is_refused(hass: HomeAssistant, setup_integration: Any) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_scheduled_charging", device_id="nope", enable=True, time="07:00")
    assert err.value.translation_key == "invalid_device"


async def test_actions_survive_unload_and_refuse_unloaded_cars(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    device_id = _device_id(hass)
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert hass.services.has_service(DOMAIN, "set_scheduled_charging")
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "set_scheduled_charging", device_id=device_id, enable=True, time="07:00")
    assert err.value.translation_key == "entry_not_loaded"
    assert sent_commands(await sim.requests()) == []


async def test_api_failures_are_translated(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await sim.fault(kind="server_error", category="command")
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "set_scheduled_charging", device_id=_device_id(hass), enable=True, time="07:00")
    assert err.value.translation_key == "server_error"
