"""Voice: "set <car> charge limit to <n> percent".

Home Assistant's built-in intents cannot set a number: there is no "set value" intent
(2025.4 and 2026.10 alike), only HassTurnOn/HassTurnOff, which already cover the
Charging switch ("turn on Model 3 charging").  So this platform, which the intent
integration loads by itself, provides the charge-limit sentence:

- an intent handler, ``EvChargeControlSetChargeLimit`` (LLM agents see it as a tool while
  a number entity is exposed to them);
- English sentences for Home Assistant's own conversation agent, registered as a
  sentence trigger once the conversation integration is set up.  That is the one way an
  integration can add sentences on both releases: ``custom_sentences/`` is the user's
  folder, and the agent's own registration call moved between them, while the
  ``conversation`` trigger stayed the same.  Trigger sentences are matched before the
  built-in ones, and a name is whatever the user said there (a wildcard).

The limit is set through ``number.set_value`` on the car's Charge limit entity, so its
range and refusals apply, and only while that entity is exposed to the assistant, as the
built-in intents require.
"""

from __future__ import annotations

import logging
import re
from typing import Any, override

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.const import ATTR_ENTITY_ID, CONF_COMMAND, CONF_PLATFORM, Platform
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    intent,
)
from homeassistant.helpers.script import ScriptRunResult
from homeassistant.helpers.trigger import async_initialize_triggers, async_validate_trigger_config
from homeassistant.setup import async_when_setup

from .const import DOMAIN
from .helpers import refuse

_LOGGER = logging.getLogger(__name__)

INTENT_SET_CHARGE_LIMIT = "EvChargeControlSetChargeLimit"
CONVERSATION = "conversation"
SENTENCES = [
    "set [the] {name} charge limit to {value}",
    "set [the] charge limit (of|for) [the] {name} to {value}",
]
_PERCENT = re.compile(r"\s*(\d+)\s*(?:%|percent|per cent)?\s*", re.IGNORECASE)


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Called by the intent integration once this integration is loaded."""
    intent.async_register(hass, SetChargeLimitHandler())
    async_when_setup(hass, CONVERSATION, _async_add_sentences)


async def _async_add_sentences(hass: HomeAssistant, _component: str) -> None:
    config = await async_validate_trigger_config(
        hass, [{CONF_PLATFORM: CONVERSATION, CONF_COMMAND: SENTENCES}]
    )

    async def heard(run_variables: dict[str, Any], context: Context | None = None) -> ScriptRunResult | None:
        trigger = run_variables["trigger"]
        said = trigger["user_input"]
        origin = said.get("context") or {}
        try:
            await intent.async_handle(
                hass,
                DOMAIN,
                INTENT_SET_CHARGE_LIMIT,
                {slot: {"value": value} for slot, value in trigger["slots"].items()},
                text_input=trigger["sentence"],
                context=context or Context(user_id=origin.get("user_id"), parent_id=origin.get("id")),
                language=said.get("language"),
                assistant=CONVERSATION,
            )
        except intent.IntentError as err:
            # The conversation trigger speaks what the action returns; None says "Done".
            return ScriptRunResult(conversation_response=str(err), service_response=None, variables={})
        return None

    def log(level: int, message: str, **kwargs: Any) -> None:
        _LOGGER.log(level, "Charge limit sentences: %s", message, **kwargs)

    # Registered for as long as Home Assistant runs, like the intent handler.
    await async_initialize_triggers(hass, config, heard, DOMAIN, "charge limit sentences", log)


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


def _charge_limit_entity(hass: HomeAssistant, name: str) -> str:
    """The Charge limit entity of the car called ``name``; refused when there is none."""
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
            if _words(name) not in {_words(n) for n in (device.name_by_user, device.name) if n}:
                continue
            for entity in er.async_entries_for_device(entities, device.id):
                if (
                    entity.platform == DOMAIN
                    and entity.domain == Platform.NUMBER
                    and entity.unique_id.endswith("_charge_limit")
                    and hass.states.get(entity.entity_id) is not None
                ):
                    return entity.entity_id
            raise _failed(refuse("voice_no_charge_limit", name=device.name_by_user or device.name or name))
    raise _failed(refuse("voice_unknown_car", name=name))


def _failed(err: HomeAssistantError) -> intent.IntentHandleError:
    """The translated message, as the error an intent answers with."""
    return intent.IntentHandleError(str(err))


class SetChargeLimitHandler(intent.IntentHandler):
    """Set a car's charge limit, named by the car (its device's name)."""

    intent_type = INTENT_SET_CHARGE_LIMIT
    description = "Sets an electric car's charge limit in percent (EV Charge Control); name is the car's name"

    def __init__(self) -> None:
        # Offered to LLM agents only while a number entity is exposed to them.
        self.platforms = {Platform.NUMBER.value}

    @property
    @override
    def slot_schema(self) -> dict[str, Any]:
        return {"name": cv.string, "value": cv.string}

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        hass = intent_obj.hass
        slots = self.async_validate_slots(intent_obj.slots)
        name = str(slots.get("name", {}).get("value", ""))
        said = str(slots.get("value", {}).get("value", ""))
        entity_id = _charge_limit_entity(hass, name)
        state = hass.states.get(entity_id)
        assert state is not None  # checked by _charge_limit_entity
        if intent_obj.assistant is not None and not async_should_expose(
            hass, intent_obj.assistant, entity_id
        ):
            raise _failed(refuse("voice_not_exposed", entity=state.name))
        if (match := _PERCENT.fullmatch(said)) is None:
            raise _failed(refuse("not_whole_number", value=said))
        value = int(match.group(1))
        # The entity's own range (its min and max), checked here too so the refusal
        # names the car's range; number.set_value checks it again.
        low, high = float(state.attributes["min"]), float(state.attributes["max"])
        if not low <= value <= high:
            raise _failed(refuse("value_out_of_range", value=str(value), min=f"{low:g}", max=f"{high:g}"))
        try:
            await hass.services.async_call(
                Platform.NUMBER,
                "set_value",
                {ATTR_ENTITY_ID: entity_id, "value": value},
                blocking=True,
                context=intent_obj.context,
            )
        except HomeAssistantError as err:  # the car's refusal, translated
            raise _failed(err) from err
        response = intent_obj.create_response()
        response.async_set_results(
            success_results=[
                intent.IntentResponseTarget(
                    type=intent.IntentResponseTargetType.ENTITY, name=state.name, id=entity_id
                )
            ]
        )
        return response
