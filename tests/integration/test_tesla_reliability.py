"""Tesla: commands whose outcome is unknown, odd payloads, Retry-After on every path,
and commands queued behind a car that will not wake."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_charge_control.const import CONFIRM_DELAY

from ..helpers import VIN, SimulatorHandle
from .common import entity_state, sent_commands, tick

CHARGING = "switch.model_3_charging"
BATTERY = "sensor.model_3_battery"


async def _spin() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        # The answer comes after the client's 30 s timeout: the car acted meanwhile.
        ({"kind": "delay", "seconds": 31}, "cannot_connect"),
        # The car acted, then the connection dropped before the answer.
        ({"kind": "drop_reply"}, "cannot_connect"),
    ],
)
async def test_a_command_whose_answer_was_lost_is_checked_again_soon(
    hass: HomeAssistant,
    setup_integration: Any,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    fault: dict[str, Any],
    key: str,
) -> None:
    await sim.fault(path="/command/charge_start$", count=1, **fault)
    task = hass.async_create_task(
        hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    )
    await _spin()
    freezer.tick(timedelta(seconds=31.5))
    async_fire_time_changed(hass)
    with pytest.raises(HomeAssistantError) as err:
        await task
    assert err.value.translation_key == key
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await sim.vehicle())["charge_state"]["charging_state"] in ("Starting", "Charging")
    # Not the idle poll 30 minutes later: the confirmation a command gets.
    await tick(hass, freezer, CONFIRM_DELAY + timedelta(seconds=1))
    assert entity_state(hass, CHARGING) == "on"
    # Nothing was sent twice.
    assert sent_commands(await sim.requests()) == [("charge_start", {})]


async def test_a_schedule_time_in_milliseconds_is_read_as_seconds(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    """A compatible service reports ``scheduled_charging_start_time`` in milliseconds."""
    charge_state = (await sim.vehicle())["charge_state"]
    charge_state.update(scheduled_charging_mode="StartAt", scheduled_charging_start_time=1_767_225_600_000)
    await sim.fault(
        kind="status",
        status=200,
        path="/vehicle_data$",
        body={"response": {"vin": VIN, "state": "online", "charge_state": charge_state}},
    )
    coordinator = setup_integration.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert entity_state(hass, BATTERY) != STATE_UNAVAILABLE
    assert coordinator.data.scheduled_charging_start.timestamp() == 1_767_225_600


async def test_retry_after_holds_for_the_confirmation_refresh_too(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    coordinator = setup_integration.runtime_data.coordinators[VIN]
    await sim.fault(kind="rate_limit", path="/vehicle_data$", retry_after=600)
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()
    assert coordinator.update_interval == timedelta(seconds=600)
    seq = (await sim.requests())[-1]["seq"]
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    await tick(hass, freezer, CONFIRM_DELAY + timedelta(seconds=1))
    # Nor does homeassistant.update_entity ask before the time is up.
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call("homeassistant", "update_entity", {ATTR_ENTITY_ID: BATTERY}, blocking=True)
    requests = await sim.requests(since=seq)
    assert [r["path"] for r in requests if r["path"].endswith("/vehicle_data")] == []
    assert entity_state(hass, BATTERY) != STATE_UNAVAILABLE
    # Once the wait is over, the car is asked again.
    await tick(hass, freezer, timedelta(seconds=600))
    requests = await sim.requests(since=seq)
    assert [r["path"] for r in requests if r["path"].endswith("/vehicle_data")] != []


async def test_a_retry_after_of_zero_does_not_poll_in_a_loop(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    coordinator = setup_integration.runtime_data.coordinators[VIN]
    await sim.fault(kind="rate_limit", path="/vehicle_data$", retry_after=0, count=1)
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()
    assert coordinator.update_interval == timedelta(seconds=30)


async def test_commands_queued_behind_a_car_that_will_not_wake_share_its_wake(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three controls pressed while the car is offline: one wake, three answers."""
    # The wake's own timeout is not what this is about; the simulator's clock stands still.
    monkeypatch.setattr("custom_components.ev_charge_control.tesla.TESLA_WAKE_TIMEOUT", 0.0)
    await sim.vehicle(action="state", state="offline")
    calls = [
        hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: CHARGING}, blocking=True),
        hass.services.async_call(
            "button", "press", {ATTR_ENTITY_ID: "button.model_3_open_charge_port"}, blocking=True
        ),
        hass.services.async_call(
            "button", "press", {ATTR_ENTITY_ID: "button.model_3_charge_to_max_range"}, blocking=True
        ),
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [getattr(r, "translation_key", r) for r in results] == ["wake_timeout"] * 3
    wakes = [r for r in await sim.requests() if r["path"].endswith("/wake_up")]
    assert len(wakes) == 1
    # A later press tries again: the car may be reachable by then.
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    wakes = [r for r in await sim.requests() if r["path"].endswith("/wake_up")]
    assert len(wakes) == 2
