"""EV Charge Control: control how an electric car charges, from Home Assistant."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_PROVIDER, DOMAIN, PROVIDER_REALTO
from .coordinator import EVChargeControlConfigEntry, EVChargeControlData, VehicleCoordinator
from .services import async_setup_services
from .setup_realto import async_setup_realto
from .setup_tesla import async_setup_tesla
from .vehicle import Vehicle

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, so they exist even while no entry is loaded."""
    async_setup_services(hass)
    return True


async def _async_vehicles(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> list[Vehicle]:
    if entry.data.get(CONF_PROVIDER) == PROVIDER_REALTO:
        return list(await async_setup_realto(hass, entry))
    return list(await async_setup_tesla(hass, entry))


async def async_setup_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> bool:
    """Set up one account: a coordinator per selected vehicle, then the entities."""
    vehicles = await _async_vehicles(hass, entry)
    coordinators = {vehicle.unique_id: VehicleCoordinator(hass, entry, vehicle) for vehicle in vehicles}
    await asyncio.gather(*(c.async_config_entry_first_refresh() for c in coordinators.values()))
    entry.runtime_data = EVChargeControlData(coordinators)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
