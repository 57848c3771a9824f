"""Options: the household's price forecast sensor, which the ready-by planner reads."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import EntitySelector, EntitySelectorConfig
import voluptuous as vol

from .ready_by_settings import CONF_PRICE_ENTITY


class EVChargeControlOptionsFlow(OptionsFlow):
    """One form: the price sensor, or none (then plans charge as late as possible)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if user_input is not None:
            price = user_input.get(CONF_PRICE_ENTITY)
            return self.async_create_entry(data={CONF_PRICE_ENTITY: price} if price else {})
        current = self.config_entry.options.get(CONF_PRICE_ENTITY)
        schema = vol.Schema(
            {
                vol.Optional(
                    CONF_PRICE_ENTITY, description={"suggested_value": current} if current else None
                ): EntitySelector(EntitySelectorConfig(domain=["sensor", "event"]))
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
