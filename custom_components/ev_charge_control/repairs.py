"""Fixing a "key not paired" repair from the UI: pair in the Tesla app, then check here.

The flow shows the pairing link (and a QR code for the phone), and on confirm asks
Tesla which cars know the key (a free account-level call; the car is not woken).  The
repair closes only when Tesla says the car has the key.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import QrCodeSelector, QrCodeSelectorConfig, QrErrorCorrectionLevel
import voluptuous as vol

from .api import ApiError
from .compat import RepairsFlowResult
from .const import DOMAIN
from .coordinator import EVChargeControlConfigEntry
from .issues import ISSUE_KEY_NOT_PAIRED
from .signing import pairing_url
from .tesla import TeslaVehicle


def pairing_schema(domain: str) -> vol.Schema:
    """A QR code of the pairing link, for the phone that has the Tesla app."""
    return vol.Schema(
        {
            vol.Optional("qr_code"): QrCodeSelector(
                QrCodeSelectorConfig(
                    data=pairing_url(domain), scale=5, error_correction_level=QrErrorCorrectionLevel.QUARTILE
                )
            )
        }
    )


class PairingRepairFlow(RepairsFlow):
    """Check with Tesla that one car knows the key, after the owner paired it."""

    def __init__(self, issue_id: str, data: dict[str, Any]) -> None:
        self._issue_id = issue_id
        self._entry_id = str(data["entry_id"])
        self._vin = str(data["vin"])
        self._name = str(data["name"])
        self._domain = str(data["domain"])

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        return await self.async_step_pair()

    async def async_step_pair(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            errors["base"] = await self._async_check()
            if errors["base"] == "paired":
                ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="pair",
            data_schema=pairing_schema(self._domain),
            description_placeholders={
                "name": self._name,
                "domain": self._domain,
                "pairing_url": pairing_url(self._domain),
            },
            errors=errors,
        )

    async def _async_check(self) -> str:
        """``paired``, or the form error that says why not."""
        entry: EVChargeControlConfigEntry | None = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return "entry_not_loaded"
        coordinator = entry.runtime_data.coordinators.get(self._vin)
        vehicle = coordinator.vehicle if coordinator is not None else None
        if not isinstance(vehicle, TeslaVehicle):
            return "entry_not_loaded"
        try:
            unpaired = await vehicle.account.async_unpaired([self._vin])
        except ApiError:
            return "cannot_connect"
        return "not_paired" if unpaired else "paired"


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Home Assistant asks for the flow of a fixable repair; only pairing has one."""
    if not issue_id.startswith(ISSUE_KEY_NOT_PAIRED) or data is None:
        raise ValueError(f"no fix flow for {issue_id}")
    return PairingRepairFlow(issue_id, dict(data))
