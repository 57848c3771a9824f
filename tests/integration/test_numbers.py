"""Charge limit and charging current: coalescing, no-ops, refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_charge_control.const import COALESCE_DELAY, CONFIRM_DELAY, DOMAIN

from ..helpers import VIN, SimulatorHandle
from .common import sent_commands

LIMIT = "number.model_3_charge_limit"
AMPS = "number.model_3_charging_current"


def _set(hass: HomeAssistant, entity_id: str, value: float) -> asyncio.Task[Any]:
    """Start a blocking number.set_value call, as an automation step would.

    The call waits for the coalescing window, which only passes when the test moves
    the clock, so use ``_settle`` (not async_block_till_done) before doing so.
    """
    return asyncio.get_running_loop().create_task(
        hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: entity_id, "value": value}, blocking=True
        )
    )


async def _settle() -> None:
    """Let started calls reach the entity (they then wait for the window)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def _quiet_period(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the coalescing window pass."""
    freezer.tick(timedelta(seconds=COALESCE_DELAY + 0.1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _move_clock(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the clock without waiting for commands on their way to the car."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    for _ in range(200):
        await asyncio.sleep(0)


def _value(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_a_dragged_slider_sends_one_command(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    calls = [_set(hass, LIMIT, value) for value in (81, 85, 90, 88)]
    await _settle()
    # Shown at once; nothing sent yet.
    assert _value(hass, LIMIT) == "88"
    assert sent_commands(await sim.requests()) == []
    await _quiet_period(hass, freezer)
    await asyncio.gather(*calls)
    assert sent_commands(await sim.requests()) == [("set_charge_limit", {"percent": 88})]
    assert (await sim.vehicle())["charge_state"]["charge_limit_soc"] == 88
    assert _value(hass, LIMIT) == "88"


async def test_changes_after_the_window_are_a_new_command(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    first = _set(hass, AMPS, 10)
    await _settle()
    await _quiet_period(hass, freezer)
    await first
    second = _set(hass, AMPS, 12)
    await _settle()
    await _quiet_period(hass, freezer)
    await second
    assert sent_commands(await sim.requests()) == [
        ("set_charging_amps", {"charging_amps": 10}),
        ("set_charging_amps", {"charging_amps": 12}),
    ]


async def test_back_to_the_current_value_sends_nothing(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    calls = [_set(hass, AMPS, 10), _set(hass, AMPS, 16)]
    await _settle()
    await _quiet_period(hass, freezer)
    await asyncio.gather(*calls)
    assert sent_commands(await sim.requests()) == []
    assert _value(hass, AMPS) == "16"


async def test_the_current_value_is_not_sent(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await hass.services.async_call("number", "set_value", {ATTR_ENTITY_ID: LIMIT, "value": 80}, blocking=True)
    assert sent_commands(await sim.requests()) == []


async def test_a_failed_command_reaches_every_caller_and_the_value_returns(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await sim.fault(
        kind="status", category="command", status=200, body={"response": {"result": False, "reason": "odd"}}
    )
    calls = [_set(hass, LIMIT, 85), _set(hass, LIMIT, 90)]
    await _settle()
    await _quiet_period(hass, freezer)
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, HomeAssistantError) for r in results)
    assert {r.translation_key for r in results if isinstance(r, HomeAssistantError)} == {"command_refused"}
    assert _value(hass, LIMIT) == "80"
    assert len(sent_commands(await sim.requests())) == 1


@pytest.mark.parametrize(("entity_id", "value"), [(LIMIT, 49), (LIMIT, 101), (AMPS, 0), (AMPS, 17)])
async def test_out_of_range_is_refused(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, entity_id: str, value: int
) -> None:
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: entity_id, "value": value}, blocking=True
        )
    assert sent_commands(await sim.requests()) == []


async def test_fractions_are_refused(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: AMPS, "value": 10.5}, blocking=True
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "not_whole_number"
    assert sent_commands(await sim.requests()) == []


async def test_amps_while_unplugged_are_refused(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await sim.vehicle(action="unplug")
    coordinator = setup_integration.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: AMPS, "value": 10}, blocking=True
        )
    assert err.value.translation_key == "not_plugged_in"
    assert err.value.translation_placeholders == {"name": "Model 3"}
    assert sent_commands(await sim.requests()) == []


async def test_a_pending_change_is_sent_on_unload(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    call = _set(hass, LIMIT, 90)
    await _settle()
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    await call
    assert sent_commands(await sim.requests()) == [("set_charge_limit", {"percent": 90})]


async def test_low_current_is_checked_against_what_the_car_took(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    # Cars that floor a first request below 5 A at 5 A still answer "done".
    await sim.vehicle(settings={"low_amps_needs_repeat": True})
    call = _set(hass, AMPS, 3)
    await _settle()
    await _quiet_period(hass, freezer)
    await call
    assert _value(hass, AMPS) == "3"  # as the reply said
    freezer.tick(CONFIRM_DELAY)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _value(hass, AMPS) == "5"  # the confirmation shows the truth


async def test_the_last_value_wins_while_an_earlier_one_is_on_its_way(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """The car has 16 A; 10 A is asked, then 16 A again while 10 A is still on its way.

    The second value equals what the car had when it was asked, but not what the car
    will have once 10 A lands: it must be sent, after the first command's answer.
    """
    assert _value(hass, AMPS) == "16"
    # The first command answers 5 s later (a waking car, a slow proxy); the
    # simulator's delay runs on the test's clock.
    await sim.fault(kind="delay", seconds=5, path="/command/", count=1)
    first = _set(hass, AMPS, 10)
    await _settle()
    await _move_clock(hass, freezer, COALESCE_DELAY + 0.1)  # 10 A is on its way now
    second = _set(hass, AMPS, 16)
    await _settle()
    await _move_clock(hass, freezer, COALESCE_DELAY + 0.1)  # 16 A's window ends
    await _move_clock(hass, freezer, 5)  # the slow answer arrives
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await asyncio.gather(first, second) == [None, None]
    assert sent_commands(await sim.requests()) == [
        ("set_charging_amps", {"charging_amps": 10}),
        ("set_charging_amps", {"charging_amps": 16}),
    ]
    assert (await sim.vehicle())["charge_state"]["charge_current_request"] == 16
    assert _value(hass, AMPS) == "16"


async def test_the_same_value_asked_while_it_is_on_its_way_is_sent_once(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await sim.fault(kind="delay", seconds=5, path="/command/", count=1)
    first = _set(hass, AMPS, 10)
    await _settle()
    await _move_clock(hass, freezer, COALESCE_DELAY + 0.1)
    second = _set(hass, AMPS, 10)
    await _settle()
    await _move_clock(hass, freezer, COALESCE_DELAY + 0.1)
    await _move_clock(hass, freezer, 5)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await asyncio.gather(first, second) == [None, None]
    assert sent_commands(await sim.requests()) == [("set_charging_amps", {"charging_amps": 10})]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
async def test_a_value_that_is_not_a_number_is_refused(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, value: str
) -> None:
    # NaN passes Home Assistant's own range check: every comparison with it is false.
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: AMPS, "value": value}, blocking=True
        )
    if value == "nan":  # Home Assistant refuses the infinities itself
        assert err.value.translation_key == "not_whole_number"
    assert sent_commands(await sim.requests()) == []


async def test_a_pending_change_is_sent_when_home_assistant_stops(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    # Home Assistant does not remove entities on stop, so the unload path is not taken.
    call = _set(hass, LIMIT, 90)
    await _settle()
    await hass.async_stop()
    await call
    assert sent_commands(await sim.requests()) == [("set_charge_limit", {"percent": 90})]
