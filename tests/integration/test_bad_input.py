"""Bad input to every action and number: refused with a translated message, nothing sent.

Each case names the field that is wrong; the simulator's request log must show no
command (Tesla) and no command request (re.alto) after it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    DOMAIN,
    PROVIDER_TESLA,
)

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, ENTITY_ID, REALTO_CLIENT_ID, VIN, SimulatorHandle, realto_spec
from .common import device_for, realto_entry_data

TESLA, REALTO, OTHER, NOWHERE = "tesla", "realto", "other", "nowhere"
SOON = (dt_util.utcnow() + timedelta(hours=2)).isoformat()
LATER = (dt_util.utcnow() + timedelta(hours=4)).isoformat()

# (action, target car, fields, translation key)
ACTION_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("set_scheduled_charging", TESLA, {"time": "01:00"}, "missing_field"),  # enable
    ("set_scheduled_charging", NOWHERE, {"enable": True, "time": "01:00"}, "missing_field"),  # device
    ("set_scheduled_charging", TESLA, {"enable": "maybe", "time": "01:00"}, "invalid_boolean"),
    ("set_scheduled_charging", TESLA, {"enable": [True], "time": "01:00"}, "invalid_boolean"),
    ("set_scheduled_charging", TESLA, {"enable": True, "time": 90}, "invalid_time"),
    ("set_scheduled_charging", TESLA, {"enable": True, "time": "24:00"}, "invalid_time"),
    ("set_scheduled_charging", TESLA, {"enable": True, "time": "soon"}, "invalid_time"),
    ("set_scheduled_charging", TESLA, {"enable": True}, "time_required"),
    ("set_scheduled_charging", OTHER, {"enable": True, "time": "01:00"}, "invalid_device"),
    ("set_scheduled_charging", REALTO, {"enable": True, "time": "01:00"}, "not_supported"),
    ("set_scheduled_departure", TESLA, {"departure_time": {"h": 7}}, "invalid_time"),
    ("set_scheduled_departure", TESLA, {"enable": 2, "departure_time": "07:00"}, "invalid_boolean"),
    ("set_scheduled_departure", TESLA, {}, "time_required"),
    (
        "set_scheduled_departure",
        TESLA,
        {"departure_time": "07:00", "off_peak_charging_weekdays_only": True},
        "time_required",
    ),
    ("set_scheduled_departure", TESLA, {"departure_time": "07:00", "end_off_peak_time": "x"}, "invalid_time"),
    (
        "set_scheduled_departure",
        TESLA,
        {"departure_time": "07:00", "preconditioning_enabled": "x"},
        "invalid_boolean",
    ),
    ("set_scheduled_departure", OTHER, {"departure_time": "07:00"}, "invalid_device"),
    ("set_scheduled_departure", REALTO, {"departure_time": "07:00"}, "not_supported"),
    ("schedule_charging", REALTO, {"end": LATER}, "missing_field"),
    ("schedule_charging", REALTO, {"start": SOON}, "missing_field"),
    ("schedule_charging", REALTO, {"start": 5, "end": LATER}, "invalid_datetime"),
    ("schedule_charging", REALTO, {"start": SOON, "end": "later"}, "invalid_datetime"),
    ("schedule_charging", REALTO, {"start": "2020-01-01T00:00:00+00:00", "end": LATER}, "not_in_future"),
    ("schedule_charging", REALTO, {"start": LATER, "end": SOON}, "end_before_start"),
    ("schedule_charging", REALTO, {"start": SOON, "end": LATER, "ignore_cooldown": "x"}, "invalid_boolean"),
    ("schedule_charging", TESLA, {"start": SOON, "end": LATER}, "not_supported"),
    ("schedule_charging", OTHER, {"start": SOON, "end": LATER}, "invalid_device"),
    ("cancel_scheduled_charging", NOWHERE, {}, "missing_field"),
    ("cancel_scheduled_charging", TESLA, {}, "not_supported"),
]


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(tesla=True)


@pytest.fixture
async def both(hass: HomeAssistant, sim: SimulatorHandle) -> dict[str, str]:
    """A Tesla and a re.alto car set up, and a device of another integration."""
    entries = [
        MockConfigEntry(
            domain=DOMAIN,
            unique_id=ACCOUNT_ID,
            data={CONF_PROVIDER: PROVIDER_TESLA, CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: ACCESS_TOKEN},
        ),
        MockConfigEntry(
            domain=DOMAIN,
            unique_id=REALTO_CLIENT_ID,
            data=realto_entry_data(sim),
        ),
    ]
    for entry in entries:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    other = MockConfigEntry(domain="other_integration")
    other.add_to_hass(hass)
    registry = dr.async_get(hass)
    devices = {
        TESLA: device_for(hass, (DOMAIN, VIN)),
        REALTO: device_for(hass, (DOMAIN, ENTITY_ID)),
        OTHER: registry.async_get_or_create(
            config_entry_id=other.entry_id, identifiers={("other_integration", "x")}
        ),
    }
    return {name: device.id for name, device in devices.items() if device is not None}


async def _sent(sim: SimulatorHandle) -> list[str]:
    tesla = [r["path"] for r in await sim.requests() if "/command/" in r["path"]]
    realto = [r["path"] for r in await sim.requests(api="realto") if r["category"] == "command"]
    return tesla + realto


@pytest.mark.parametrize(
    ("action", "car", "fields", "key"),
    ACTION_CASES,
    ids=[f"{a}-{c}-{k}-{i}" for i, (a, c, _, k) in enumerate(ACTION_CASES)],
)
async def test_actions_refuse_bad_input(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    both: dict[str, str],
    action: str,
    car: str,
    fields: dict[str, Any],
    key: str,
) -> None:
    data = dict(fields)
    if car != NOWHERE:
        data["device_id"] = both[car]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, action, data, blocking=True)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert await _sent(sim) == []


async def test_unknown_fields_are_refused_by_the_schema(
    hass: HomeAssistant, sim: SimulatorHandle, both: dict[str, str]
) -> None:
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            DOMAIN,
            "set_scheduled_charging",
            {"device_id": both[TESLA], "enable": True, "when": "01:00"},
            blocking=True,
        )
    assert await _sent(sim) == []


NUMBER_CASES: list[tuple[str, Any, type[Exception]]] = [
    ("number.model_3_charge_limit", 49, ServiceValidationError),
    ("number.model_3_charge_limit", 101, ServiceValidationError),
    ("number.model_3_charge_limit", 80.5, ServiceValidationError),
    ("number.model_3_charge_limit", "eighty", vol.Invalid),  # Home Assistant's own schema
    ("number.model_3_charge_limit", None, vol.Invalid),
    ("number.model_3_charging_current", 0, ServiceValidationError),
    ("number.model_3_charging_current", 17, ServiceValidationError),
    ("number.model_3_charging_current", -3, ServiceValidationError),
    ("number.model_3_charging_current", [10], vol.Invalid),
]


@pytest.mark.parametrize(("entity_id", "value", "error"), NUMBER_CASES)
async def test_numbers_refuse_bad_input(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    both: dict[str, str],
    entity_id: str,
    value: Any,
    error: type[Exception],
) -> None:
    data: dict[str, Any] = {ATTR_ENTITY_ID: entity_id}
    if value is not None:
        data["value"] = value
    with pytest.raises(error) as err:
        await hass.services.async_call("number", "set_value", data, blocking=True)
    if isinstance(err.value, ServiceValidationError):
        assert err.value.translation_key is not None
        assert err.value.translation_domain in (DOMAIN, "number")
    assert await _sent(sim) == []
