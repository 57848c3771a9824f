"""EV Charge Control: control how an electric car charges, from Home Assistant."""

from __future__ import annotations

import asyncio
from datetime import datetime

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .api import ApiError
from .const import (
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DISCOVERY_INTERVAL,
    DOMAIN,
    LOGGER,
    PROVIDER_REALTO,
)
from .coordinator import EVChargeControlConfigEntry, EVChargeControlData, VehicleCoordinator
from .issues import async_clear_entry_issues
from .public_key_view import async_serve_public_key
from .services import async_setup_services
from .setup_realto import async_setup_realto
from .setup_tesla import async_forget_tokens, async_setup_tesla
from .vehicle import AccountVehicles, Vehicle

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, so they exist even while no entry is loaded, and serve
    the Tesla public key, which Tesla fetches before any entry exists."""
    async_setup_services(hass)
    async_serve_public_key(hass)
    return True


async def _async_account(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> AccountVehicles:
    if entry.data.get(CONF_PROVIDER) == PROVIDER_REALTO:
        return await async_setup_realto(hass, entry)
    return await async_setup_tesla(hass, entry)


@callback
def _wanted(hass: HomeAssistant, entry: EVChargeControlConfigEntry, vehicles: list[Vehicle]) -> list[Vehicle]:
    """The vehicles the user chose, plus any the account gained since it was last seen.

    A car that was on the account but left out at set-up stays out; a car added to the
    account later comes in by itself.  What was seen is remembered in the entry.
    """
    selected = entry.data.get(CONF_VEHICLES)
    known = entry.data.get(CONF_KNOWN_VEHICLES)
    if known is None:  # entries from before this was remembered: nothing is new yet
        known = [v.unique_id for v in vehicles]
    new = [v.unique_id for v in vehicles if v.unique_id not in known]
    wanted = [v for v in vehicles if selected is None or v.unique_id in selected or v.unique_id in new]
    if new or CONF_KNOWN_VEHICLES not in entry.data:
        data = {**entry.data, CONF_KNOWN_VEHICLES: [*known, *new]}
        if selected is not None:
            data[CONF_VEHICLES] = [*selected, *new]
        hass.config_entries.async_update_entry(entry, data=data)
    return wanted


async def async_setup_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> bool:
    """Set up one account: a coordinator per chosen vehicle, then the entities."""
    account = await _async_account(hass, entry)
    vehicles = _wanted(hass, entry, account.vehicles)
    coordinators = {vehicle.unique_id: VehicleCoordinator(hass, entry, vehicle) for vehicle in vehicles}
    # Not async_config_entry_first_refresh: the account answered, so one car whose data
    # cannot be read now (a server error on its data, not on the list) must not keep
    # the others from loading. Its entities show unavailable until a poll works.
    await asyncio.gather(*(c.async_refresh() for c in coordinators.values()))
    for coordinator in coordinators.values():
        if isinstance(coordinator.last_exception, ConfigEntryAuthFailed):
            # Signing in again is for the whole account.
            raise coordinator.last_exception
    entry.runtime_data = EVChargeControlData(coordinators)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    async def discover(_now: datetime) -> None:
        await _async_add_new_vehicles(hass, entry, account)

    entry.async_on_unload(async_track_time_interval(hass, discover, DISCOVERY_INTERVAL))
    return True


async def _async_add_new_vehicles(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, account: AccountVehicles
) -> None:
    try:
        found = await account.discover()
    except ApiError as err:
        LOGGER.debug("Looking for new vehicles failed: %s", err.message)
        return
    runtime = entry.runtime_data
    added: list[VehicleCoordinator] = []
    for vehicle in _wanted(hass, entry, found):
        if vehicle.unique_id in runtime.coordinators:
            continue
        coordinator = VehicleCoordinator(hass, entry, vehicle)
        await coordinator.async_refresh()
        runtime.coordinators[vehicle.unique_id] = coordinator
        added.append(coordinator)
        LOGGER.info("New vehicle on the account: %s", vehicle.name)
    if added:
        runtime.announce(added)


async def async_unload_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> None:
    """The entry's repairs, and its saved tokens, go with it."""
    async_clear_entry_issues(hass, entry.entry_id)
    await async_forget_tokens(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a car's device once the car is no longer set up here."""
    return not any(
        domain == DOMAIN and unique_id in entry.runtime_data.coordinators
        for domain, unique_id in device.identifiers
    )
