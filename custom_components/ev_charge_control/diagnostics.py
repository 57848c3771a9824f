"""Diagnostics: what the integration knows, with credentials, VINs and places removed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_KNOWN_VEHICLES, CONF_VEHICLES, DOMAIN
from .coordinator import EVChargeControlConfigEntry, VehicleCoordinator
from .providers import PROVIDERS

IDENTIFYING = {
    # What identifies the owner, the cars or where they are.
    CONF_VEHICLES,
    CONF_KNOWN_VEHICLES,
    "refresh_token",
    "id_token",
    "title",
    "unique_id",
    "vin",
    "serial_number",
    "email",
    "latitude",
    "longitude",
    "location",
    "location_labels",
}


def _to_redact() -> set[str]:
    """Every provider's credentials and private settings, and what identifies anyone."""
    return IDENTIFYING | {key for provider in PROVIDERS.values() for key in provider.secret_keys}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry
) -> dict[str, Any]:
    """The entry's settings and every car, as support needs them."""
    vehicles = [
        _vehicle(coordinator, number)
        for number, coordinator in enumerate(entry.runtime_data.coordinators.values(), start=1)
    ]
    return {"entry": _entry(entry), "vehicles": vehicles}


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """One car's download, from its device page: the entry's settings and that car."""
    cars = {car for domain, car in device.identifiers if domain == DOMAIN}
    coordinators = list(entry.runtime_data.coordinators.items())
    vehicles = [
        _vehicle(coordinator, number)
        for number, (car, coordinator) in enumerate(coordinators, start=1)
        if car in cars
    ]
    return {"entry": _entry(entry), "vehicles": vehicles}


def _entry(entry: EVChargeControlConfigEntry) -> dict[str, Any]:
    return async_redact_data(
        {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
            "options": dict(entry.options),
        },
        _to_redact(),
    )


def _vehicle(coordinator: VehicleCoordinator, number: int) -> dict[str, Any]:
    vehicle = coordinator.vehicle
    costs = vehicle.costs
    return {
        # Not the car's name: without one set by the owner, that is its VIN.
        "name": f"vehicle {number}",
        "model": vehicle.model,
        "capabilities": sorted(vehicle.capabilities),
        "provider": async_redact_data(vehicle.diagnostics(), _to_redact()),
        "update_interval": str(coordinator.update_interval),
        "last_update_success": coordinator.last_update_success,
        "data": async_redact_data(asdict(coordinator.data), _to_redact()) if coordinator.data else None,
        "api_requests": costs.as_dict() if costs is not None else None,
    }
