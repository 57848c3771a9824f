"""EV Charge Control: control how an electric car charges, from Home Assistant."""

from __future__ import annotations

import asyncio
from datetime import datetime

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .api import ApiError
from .const import CONF_KNOWN_VEHICLES, CONF_PROVIDER, CONF_VEHICLES, DISCOVERY_INTERVAL, DOMAIN, LOGGER
from .coordinator import EVChargeControlConfigEntry, EVChargeControlData, VehicleCoordinator
from .issues import async_clear_car_issues, async_clear_entry_issues
from .providers import provider_of
from .public_key_view import async_serve_public_key
from .ready_by import (
    async_follow_price_option,
    async_remove_planner_settings,
    async_setup_planners,
    async_stop_planner,
)
from .services import async_setup_services
from .vehicle import AccountVehicles, Vehicle
from .watchdog import async_setup_watchdogs, async_stop_watchdog

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, so they exist even while no entry is loaded, and serve
    the Tesla public key, which Tesla fetches before any entry exists."""
    async_setup_services(hass)
    async_serve_public_key(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> bool:
    """Set up one account: a coordinator per chosen vehicle, then the entities."""
    provider = provider_of(entry.data)
    if provider is None:
        # An entry from a newer version of the integration, or edited by hand.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_provider",
            translation_placeholders={"provider": str(entry.data.get(CONF_PROVIDER))},
        )
    account = await provider.async_setup(hass, entry)
    vehicles = _async_follow_account(hass, entry, account.vehicles)
    coordinators = {
        vehicle.unique_id: VehicleCoordinator(hass, entry, vehicle, account.on_command_error)
        for vehicle in vehicles
    }
    # Not async_config_entry_first_refresh: the account answered, so one car whose data
    # cannot be read now (a server error on its data, not on the list) must not keep
    # the others from loading. Its entities show unavailable until a poll works.
    await asyncio.gather(*(c.async_refresh() for c in coordinators.values()))
    for coordinator in coordinators.values():
        if isinstance(coordinator.last_exception, ConfigEntryAuthFailed):
            # Signing in again is for the whole account.
            raise coordinator.last_exception
    entry.runtime_data = EVChargeControlData(coordinators)
    _async_remove_devices_not_in(hass, entry, set(coordinators), account.vehicles)
    await async_setup_planners(hass, entry, list(coordinators.values()))
    await async_setup_watchdogs(hass, entry, list(coordinators.values()))
    entry.async_on_unload(lambda: _async_stop_planners_and_watchdogs(entry))
    async_follow_price_option(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    async def look_again(_now: datetime) -> None:
        await _async_sync_vehicles(hass, entry, account)

    entry.async_on_unload(async_track_time_interval(hass, look_again, DISCOVERY_INTERVAL))
    return True


@callback
def _async_stop_planners_and_watchdogs(entry: EVChargeControlConfigEntry) -> None:
    for car in list(entry.runtime_data.planners):
        async_stop_planner(entry, car)
    for car in list(entry.runtime_data.watchdogs):
        async_stop_watchdog(entry, car)


@callback
def _async_follow_account(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, listed: list[Vehicle]
) -> list[Vehicle]:
    """The vehicles to set up: the ones the user chose, plus any the account gained.

    A car that was on the account but left out (at set-up, or under Reconfigure) stays
    out; a car added to the account later comes in by itself.  A car gone from the
    account is forgotten, so it comes back as new if it returns.  An empty list is
    taken for a passing fault of the API, not for a sold fleet: nothing is forgotten.
    """
    if listed:
        listed_ids = [v.unique_id for v in listed]
        selected: list[str] | None = entry.data.get(CONF_VEHICLES)
        # Entries from before the cars seen were remembered: nothing is new yet.
        known = [car for car in entry.data.get(CONF_KNOWN_VEHICLES) or listed_ids if car in listed_ids]
        new = [car for car in listed_ids if car not in known]
        data = {**entry.data, CONF_KNOWN_VEHICLES: [*known, *new]}
        if selected is not None:
            data[CONF_VEHICLES] = [car for car in selected if car in listed_ids] + new
        if data != entry.data:
            hass.config_entries.async_update_entry(entry, data=data)
    wanted = entry.data.get(CONF_VEHICLES)
    return [v for v in listed if wanted is None or v.unique_id in wanted]


@callback
def _async_remove_devices_not_in(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, keep: set[str], listed: list[Vehicle]
) -> None:
    """Remove the entry's devices of cars it no longer sets up (left out, or gone).

    Not after an empty list: that is more likely a fault of the API than a sold fleet.
    """
    if not listed:
        return
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        cars = {car for domain, car in device.identifiers if domain == DOMAIN}
        if not cars & keep:
            LOGGER.info("Removing %s: the car is no longer set up here", device.name)
            _async_remove_device(registry, device, entry.entry_id)
            for car in cars:
                async_clear_car_issues(hass, entry.entry_id, car)


@callback
def _async_remove_device(registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str) -> None:
    """Remove a device from the entry; its entities go with it."""
    if hasattr(device, "config_entry_id"):
        # Home Assistant 2026.8+: a device belongs to one entry (and removing the
        # entry from it is deprecated).
        registry.async_remove_device(device.id)
    else:
        # Earlier: the same car may also be a device of another entry, which keeps it.
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


async def _async_sync_vehicles(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, account: AccountVehicles
) -> None:
    """List the account again: set up the cars it gained, remove the ones it lost."""
    try:
        listed = await account.discover()
    except ApiError as err:
        LOGGER.debug("Listing the account's vehicles failed: %s", err.message)
        return
    runtime = entry.runtime_data
    wanted = _async_follow_account(hass, entry, listed)
    wanted_ids = {v.unique_id for v in wanted}
    if listed:
        for car in set(runtime.coordinators) - wanted_ids:
            coordinator = runtime.coordinators.pop(car)
            async_stop_planner(entry, car)
            async_stop_watchdog(entry, car)
            await coordinator.async_shutdown()
            LOGGER.info("%s is no longer on the account", coordinator.vehicle.name)
        _async_remove_devices_not_in(hass, entry, wanted_ids, listed)
    added: list[VehicleCoordinator] = []
    for vehicle in wanted:
        if vehicle.unique_id in runtime.coordinators:
            continue
        coordinator = VehicleCoordinator(hass, entry, vehicle, account.on_command_error)
        await coordinator.async_refresh()
        runtime.coordinators[vehicle.unique_id] = coordinator
        added.append(coordinator)
        LOGGER.info("New vehicle on the account: %s", vehicle.name)
    if added:
        await async_setup_planners(hass, entry, added)
        await async_setup_watchdogs(hass, entry, added)
        runtime.announce(added)


async def async_unload_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> bool:
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> None:
    """The entry's repairs, and what its provider saved for it (tokens), go with it."""
    async_clear_entry_issues(hass, entry.entry_id)
    await async_remove_planner_settings(hass, entry.entry_id)
    provider = provider_of(entry.data)
    if provider is not None and provider.async_forget is not None:
        await provider.async_forget(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Deleting a car's device stops controlling the car here, as leaving it out under
    Reconfigure does; it is not added back as new.  Reconfigure adds it again."""
    cars = {car for domain, car in device.identifiers if domain == DOMAIN}
    selected = entry.data.get(CONF_VEHICLES)
    if selected is None:
        selected = list(entry.data.get(CONF_KNOWN_VEHICLES) or [])
    for car in cars:
        async_clear_car_issues(hass, entry.entry_id, car)
    if cars & set(selected):
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_VEHICLES: [car for car in selected if car not in cars]}
        )
        if entry.state is ConfigEntryState.LOADED and cars & set(entry.runtime_data.coordinators):
            # Its coordinator and entities go with a reload (the device is gone by then).
            hass.config_entries.async_schedule_reload(entry.entry_id)
    return True
