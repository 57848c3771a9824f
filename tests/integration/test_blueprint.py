"""The solar-surplus blueprint, run as an automation against the simulated car.

``tests/test_examples.py`` checks that Home Assistant accepts the blueprint; here it
runs: what reaches the car, and that a car at its charge limit is asked nothing (the
integration would refuse turning charging on, every minute, with an error in the log).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import logging
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_charge_control.const import COALESCE_DELAY, DOMAIN

from ..helpers import SimulatorHandle, account_spec, vehicle_spec
from .common import entity_state, sent_commands

ROOT = Path(__file__).parents[2]
RELATIVE = "ev_charge_control/follow_solar_surplus.yaml"
BLUEPRINT = ROOT / "blueprints" / "automation" / RELATIVE
AUTOMATION = "automation.model_3_follows_solar_surplus"
INPUTS = {
    "surplus_sensor": "sensor.solar_surplus",
    "charging_switch": "switch.model_3_charging",
    "current_number": "number.model_3_charging_current",
    "plugged_in": "binary_sensor.model_3_plugged_in",
    "battery": "sensor.model_3_battery",
    "charge_limit": "number.model_3_charge_limit",
}


@pytest.fixture
async def solar(
    hass: HomeAssistant, setup_integration: MockConfigEntry, config_dir: Path
) -> AsyncIterator[None]:
    """The blueprint imported and used for the Model 3, with 2300 W of surplus (10 A)."""
    target = config_dir / "blueprints" / "automation" / RELATIVE
    target.parent.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    hass.states.async_set(
        "sensor.solar_surplus", "2300", {ATTR_DEVICE_CLASS: "power", "unit_of_measurement": "W"}
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "solar",
                "alias": "Model 3 follows solar surplus",
                "use_blueprint": {"path": RELATIVE, "input": INPUTS},
            }
        },
    )
    await hass.async_block_till_done()
    assert entity_state(hass, AUTOMATION) == "on"
    yield
    # Its minute timer goes with it.
    await hass.services.async_call("automation", "turn_off", {ATTR_ENTITY_ID: AUTOMATION}, blocking=True)


async def _run(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """One run, as the minute trigger starts it (conditions included)."""
    run = asyncio.get_running_loop().create_task(
        hass.services.async_call(
            "automation", "trigger", {ATTR_ENTITY_ID: AUTOMATION, "skip_condition": False}, blocking=True
        )
    )
    for _ in range(50):
        await asyncio.sleep(0)
    # A current waits for the number's coalescing window, which passes as the clock moves.
    freezer.tick(timedelta(seconds=COALESCE_DELAY + 0.1))
    async_fire_time_changed(hass)
    await run
    await hass.async_block_till_done()


def _problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings and errors logged, but asyncio's slow-callback notes from the test loop."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name != "asyncio"
    ]


async def test_below_the_limit_it_charges_at_the_surplus(
    hass: HomeAssistant, solar: None, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    # The fixture's Model 3: 77 % with a limit of 80 %, plugged in, not charging.
    await _run(hass, freezer)
    assert sent_commands(await sim.requests()) == [
        ("set_charging_amps", {"charging_amps": 10}),
        ("charge_start", {}),
    ]
    assert entity_state(hass, "switch.model_3_charging") == "on"
    # The next minute, the same surplus: the car has it all, nothing is sent.
    await _run(hass, freezer)
    assert len(sent_commands(await sim.requests())) == 2
    # The surplus is gone: charging stops.
    hass.states.async_set(
        "sensor.solar_surplus", "200", {ATTR_DEVICE_CLASS: "power", "unit_of_measurement": "W"}
    )
    await _run(hass, freezer)
    assert sent_commands(await sim.requests())[2:] == [("charge_stop", {})]


class TestAtTheLimit:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(battery_level=80, charge_limit=80))

    async def test_nothing_is_sent_and_nothing_logged(
        self,
        hass: HomeAssistant,
        solar: None,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        assert entity_state(hass, "sensor.model_3_battery") == "80"
        caplog.clear()
        for _ in range(3):
            await _run(hass, freezer)
        assert sent_commands(await sim.requests()) == []
        assert _problems(caplog) == []
        assert entity_state(hass, "switch.model_3_charging") == "off"
        # What the blueprint no longer does: turning charging on is refused here.
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                "switch", "turn_on", {ATTR_ENTITY_ID: INPUTS["charging_switch"]}, blocking=True
            )
        assert err.value.translation_key == "charge_limit_reached"


async def test_each_selector_offers_only_the_right_entity(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """As the automation editor filters entities: integration, domain, device class."""
    blueprint = yaml_util.load_yaml_dict(str(BLUEPRINT))
    registry = er.async_get(hass)
    ours = [entry for entry in registry.entities.values() if entry.platform == DOMAIN]
    for name, spec in blueprint["blueprint"]["input"].items():
        selector = spec["selector"].get("entity")
        if not selector or selector.get("integration") != DOMAIN:
            continue
        offered = [
            entry.entity_id
            for entry in ours
            if entry.domain == selector["domain"]
            and (state := hass.states.get(entry.entity_id)) is not None
            and state.attributes.get(ATTR_DEVICE_CLASS) == selector.get("device_class")
        ]
        assert offered == [INPUTS[name]], name
