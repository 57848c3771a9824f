"""Diagnostics: useful, with tokens, VINs and places removed."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_device
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_charge_control.const import DOMAIN
from custom_components.ev_charge_control.coordinator import EVChargeControlData
from custom_components.ev_charge_control.diagnostics import async_get_config_entry_diagnostics

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .common import device_for


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    result: dict[str, Any] = await async_get_config_entry_diagnostics(hass, setup_integration)
    text = json.dumps(result, default=str)
    for secret in (ACCESS_TOKEN, VIN, ACCOUNT_ID, "owner@example.com"):
        assert secret not in text
    (vehicle,) = result["vehicles"]
    assert vehicle["name"] == "vehicle 1"  # an owner's name for the car can be personal
    assert vehicle["model"] == "Model 3"
    assert vehicle["data"]["battery_level"] == 77
    assert vehicle["api_requests"]["data"] == 1
    assert result["entry"]["data"]["access_token"] == "**REDACTED**"
    assert result["entry"]["data"]["api_url"] == sim.url


async def test_diagnostics_of_a_signed_in_entry_hide_the_application(
    hass: HomeAssistant, sim: SimulatorHandle
) -> None:
    # Home Assistant names the implementation after the application's client id.
    entry = MockConfigEntry(domain=DOMAIN, data={"auth_implementation": f"{DOMAIN}_my-client-id"})
    entry.add_to_hass(hass)
    entry.runtime_data = EVChargeControlData()
    result: dict[str, Any] = await async_get_config_entry_diagnostics(hass, entry)
    assert "my-client-id" not in json.dumps(result, default=str)
    assert result["entry"]["data"]["auth_implementation"] == "**REDACTED**"


class TestTwoCars:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(), vehicle_spec(vin=VIN2, id=100002, display_name="Model S"))

    async def test_a_cars_device_page_downloads_that_car_only(
        self,
        hass: HomeAssistant,
        hass_client: ClientSessionGenerator,
        setup_integration: MockConfigEntry,
    ) -> None:
        """Device page → Download diagnostics: that car's section, redacted the same way."""
        device = device_for(hass, (DOMAIN, VIN2))
        assert device is not None
        result = await get_diagnostics_for_device(hass, hass_client, setup_integration, device)
        text = json.dumps(result, default=str)
        for secret in (ACCESS_TOKEN, VIN, VIN2, ACCOUNT_ID, "owner@example.com"):
            assert secret not in text
        (vehicle,) = result["vehicles"]
        assert vehicle["model"] == "Model S"
        assert result["entry"]["data"]["access_token"] == "**REDACTED**"
