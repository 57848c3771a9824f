"""Diagnostics: what the integration knows, with credentials, VINs and places removed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_KNOWN_VEHICLES, CONF_VEHICLES
from .coordinator import EVChargeControlConfigEntry
from .providers import PROVIDERS

TO_REDACT = {
    # Every provider's credentials and private settings...
    *(key for provider in PROVIDERS.values() for key in provider.secret_keys),
    # ...and what identifies the owner, the cars or where they are.
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
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry
) -> dict[str, Any]:
    vehicles = []
    for number, coordinator in enumerate(entry.runtime_data.coordinators.values(), start=1):
        vehicle = coordinator.vehicle
        costs = vehicle.costs
        vehicles.append(
            {
                # Not the car's name: without one set by the owner, that is its VIN.
                "name": f"vehicle {number}",
                "model": vehicle.model,
                "capabilities": sorted(vehicle.capabilities),
                "provider": async_redact_data(vehicle.diagnostics(), TO_REDACT),
                "update_interval": str(coordinator.update_interval),
                "last_update_success": coordinator.last_update_success,
                "data": async_redact_data(asdict(coordinator.data), TO_REDACT) if coordinator.data else None,
                "api_requests": costs.as_dict() if costs is not None else None,
            }
        )
    return {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            TO_REDACT,
        ),
        "vehicles": vehicles,
    }
