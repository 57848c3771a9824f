"""Voice: what a user says to Home Assistant's own conversation agent reaches the car.

The sentences go through the conversation API (``async_converse``, as Assist does) to
the simulated car: the built-in HassTurnOn for the Charging switch, and the
integration's own charge-limit sentence (``intent.py``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.conversation import async_converse
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_charge_control.const import COALESCE_DELAY

from ..helpers import SimulatorHandle, realto_entity_spec, realto_spec
from .common import entity_state, realto_commands, realto_entry_data, sent_commands

LIMIT = "number.model_3_charge_limit"


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Home Assistant's conversation agent, as default_config sets it up."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})


async def _say(hass: HomeAssistant, freezer: FrozenDateTimeFactory, text: str) -> str:
    """Say ``text``; the reply's speech.  A value waits for the number's coalescing
    window, which passes only when the clock moves."""
    reply = asyncio.get_running_loop().create_task(async_converse(hass, text, None, Context(), language="en"))
    for _ in range(50):
        await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=COALESCE_DELAY + 0.1))
    async_fire_time_changed(hass)
    result = await reply
    await hass.async_block_till_done()
    speech: str = result.response.speech["plain"]["speech"]
    return speech


@pytest.mark.parametrize(
    ("sentence", "percent"),
    [
        ("set Model 3 charge limit to 70 percent", 70),
        ("Set the charge limit of the Model 3 to 65%", 65),
        ("set model 3 charge limit to 90", 90),
    ],
)
async def test_set_the_charge_limit_by_voice(
    hass: HomeAssistant,
    assist: None,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    sentence: str,
    percent: int,
) -> None:
    async_expose_entity(hass, "conversation", LIMIT, True)
    assert await _say(hass, freezer, sentence) == "Done"
    assert sent_commands(await sim.requests()) == [("set_charge_limit", {"percent": percent})]
    assert (await sim.vehicle())["charge_state"]["charge_limit_soc"] == percent
    assert entity_state(hass, LIMIT) == str(percent)


@pytest.mark.parametrize(
    ("sentence", "answer"),
    [
        ("set Model 3 charge limit to 120 percent", "120 is outside the car's range of 50 to 100"),
        ("set Model 3 charge limit to 10", "10 is outside the car's range of 50 to 100"),
        ("set Model 3 charge limit to eighty", "eighty is not a whole number"),
        ("set Model Y charge limit to 80", "There is no car named Model Y"),
    ],
)
async def test_what_cannot_apply_is_refused_and_nothing_sent(
    hass: HomeAssistant,
    assist: None,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    sentence: str,
    answer: str,
) -> None:
    async_expose_entity(hass, "conversation", LIMIT, True)
    before = entity_state(hass, LIMIT)
    assert await _say(hass, freezer, sentence) == answer
    assert sent_commands(await sim.requests()) == []
    assert entity_state(hass, LIMIT) == before


async def test_only_an_exposed_charge_limit_is_set(
    hass: HomeAssistant,
    assist: None,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Number entities are not exposed to Assist by default; the user exposes it."""
    assert await _say(hass, freezer, "set Model 3 charge limit to 70") == (
        "Model 3 Charge limit is not exposed to Assist. Expose it under Settings → Voice assistants → Expose"
    )
    assert sent_commands(await sim.requests()) == []


async def test_the_cars_refusal_is_spoken(
    hass: HomeAssistant,
    assist: None,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    async_expose_entity(hass, "conversation", LIMIT, True)
    await sim.fault(
        kind="status",
        category="command",
        status=200,
        body={"response": {"result": False, "reason": "odd"}},
    )
    assert await _say(hass, freezer, "set Model 3 charge limit to 70") == "Model 3 refused the command: odd"


async def test_turn_on_charging_is_a_built_in_sentence(
    hass: HomeAssistant,
    assist: None,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """HassTurnOn, on the Charging switch (switches are exposed by default)."""
    speech = await _say(hass, freezer, "turn on Model 3 charging")
    assert sent_commands(await sim.requests()) == [("charge_start", {})]
    assert entity_state(hass, "switch.model_3_charging") == "on"
    assert speech
    speech = await _say(hass, freezer, "turn off Model 3 charging")
    assert sent_commands(await sim.requests())[-1] == ("charge_stop", {})


async def test_the_sentence_is_there_when_conversation_comes_later(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The integration loaded before Assist (no after-dependency): it still adds it."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", LIMIT, True)
    assert await _say(hass, freezer, "set Model 3 charge limit to 75") == "Done"
    assert sent_commands(await sim.requests()) == [("set_charge_limit", {"percent": 75})]


class TestRealto:
    """re.alto's ID.4: a name with a dot, and no charge limit to set."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(realto_entity_spec(charging=True))

    @pytest.fixture
    def entry_data(self, sim: SimulatorHandle) -> dict[str, Any]:
        return realto_entry_data(sim)

    async def test_turn_off_charging(
        self,
        hass: HomeAssistant,
        assist: None,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        assert entity_state(hass, "switch.id_4_charging") == "on"
        await _say(hass, freezer, "turn off ID.4 charging")
        assert [command["type"] for command in await realto_commands(sim)] == ["StopCharging"]

    async def test_no_charge_limit(
        self,
        hass: HomeAssistant,
        assist: None,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        speech = await _say(hass, freezer, "set ID.4 charge limit to 80")
        assert speech == "ID.4 has no charge limit that can be set"
        assert await realto_commands(sim) == []
