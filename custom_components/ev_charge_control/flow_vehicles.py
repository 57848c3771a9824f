"""Choosing the account's cars: when it is added, and again under Reconfigure."""

from __future__ import annotations

from typing import Any, override

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig
import voluptuous as vol

from .const import CONF_VEHICLES
from .flow_base import FlowBase


class VehicleSteps(FlowBase):
    """Pick the cars to control here (all by default); one car needs no choice."""

    @override
    async def async_step_vehicles(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        assert self._found is not None
        cars = self._found.vehicles
        if len(cars) < 2:
            return self._async_save(list(cars))
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = [car for car in user_input.get(CONF_VEHICLES, []) if car in cars]
            if chosen:
                return self._async_save(chosen)
            errors[CONF_VEHICLES] = "no_vehicles_selected"
        # A reconfigured entry offers its own choice (and the cars the account gained).
        selected = self._data.get(CONF_VEHICLES)
        default = sorted(car for car in cars if selected is None or car in selected) or sorted(cars)
        options = [SelectOptionDict(value=car, label=label) for car, label in cars.items()]
        schema = vol.Schema(
            {
                vol.Required(CONF_VEHICLES, default=default): SelectSelector(
                    SelectSelectorConfig(options=options, multiple=True)
                )
            }
        )
        return self.async_show_form(step_id="vehicles", data_schema=schema, errors=errors)

    def _async_save(self, chosen: list[str]) -> ConfigFlowResult:
        assert self._found is not None
        self._data[CONF_VEHICLES] = chosen
        if self.source != SOURCE_RECONFIGURE:
            return self.async_create_entry(title=self._found.title, data=self._data)
        entry = self._get_reconfigure_entry()
        if "token" in self._data:
            # The entry's tokens as they are now: a refresh since this flow began
            # (the probe's, or the loaded entry's) spent the ones it copied.
            self._data["token"] = entry.data["token"]
        return self.async_update_reload_and_abort(entry, data=self._data)
