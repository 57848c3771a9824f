"""A re.alto EV in Home Assistant: entities, commands followed to the end, the cooldown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.api.realto import CommandType, RealtoClient
from custom_components.ev_charge_control.const import CONF_API_URL, CONF_PROVIDER, CONF_VEHICLES, DOMAIN
from custom_components.ev_charge_control.realto import FOLLOW_INTERVAL

from ..helpers import (
    ENTITY_ID,
    REALTO_CLIENT_ID,
    REALTO_SECRET,
    REALTO_VIN,
    SimulatorHandle,
    realto_entity_spec,
    realto_spec,
)
from .common import device_for, entity_state, move_both_clocks, realto_commands, realto_entry_data

SWITCH = "switch.id_4_charging"
LAST = "sensor.id_4_last_command"


@pytest.fixture
def scenario() -> dict[str, Any]:
    # A Tesla account too: both providers live in one Home Assistant.
    return realto_spec(realto_entity_spec(), tesla=True)


@pytest.fixture
def entry_data(sim: SimulatorHandle) -> dict[str, Any]:
    return realto_entry_data(sim)


async def test_entities_follow_what_the_platform_supports(
    hass: HomeAssistant, setup_integration: Any
) -> None:
    registry = er.async_get(hass)
    keys = {
        e.unique_id.removeprefix(f"{ENTITY_ID}_")
        for e in er.async_entries_for_config_entry(registry, setup_integration.entry_id)
    }
    assert keys == {
        "charging",
        "battery_level",
        "range",
        "odometer",
        "plugged_in",
        "charging_measured",
        "last_command",
        "cooldown_end",
        "data_updated",
        # The ready-by planner's: the platform holds charging windows.
        "ready_by",
        "ready_by_target",
        "departure_time",
        "charging_plan",
    }
    assert entity_state(hass, "sensor.id_4_battery") == "50"
    assert float(entity_state(hass, "sensor.id_4_range")) == 200.0
    assert float(entity_state(hass, "sensor.id_4_odometer")) == 12000.0
    assert entity_state(hass, "binary_sensor.id_4_plugged_in") == STATE_ON
    assert entity_state(hass, SWITCH) == STATE_OFF
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    assert (device.name, device.manufacturer, device.model, device.serial_number) == (
        "ID.4",
        "Volkswagen",
        "ID.4 Pro",
        REALTO_VIN,
    )


async def test_start_charging_is_followed_until_it_succeeds(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    (command,) = await realto_commands(sim)
    assert command["type"] == "StartCharging"
    assert entity_state(hass, SWITCH) == STATE_ON  # as requested, at once
    assert entity_state(hass, LAST) == "pending"
    assert entity_state(hass, "sensor.id_4_commands_allowed_again") != "unknown"
    for _ in range(4):
        await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL)
    assert entity_state(hass, LAST) == "succeeded"
    assert entity_state(hass, SWITCH) == STATE_ON
    await move_both_clocks(hass, sim, freezer, timedelta(minutes=10))
    assert entity_state(hass, SWITCH) == STATE_ON  # and the readings agree


async def test_a_failed_command_returns_the_switch_and_says_why(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"action": "unplug"})
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert entity_state(hass, SWITCH) == STATE_ON
    for _ in range(4):
        await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL)
    assert entity_state(hass, LAST) == "failed"
    assert entity_state(hass, SWITCH) == STATE_OFF
    attributes = hass.states.get(LAST).attributes  # type: ignore[union-attr]
    assert attributes["command"] == "start_charging"
    assert attributes["error_title"] == "VehicleNotPluggedIn"
    assert attributes["error_description"]


async def test_a_command_inside_the_cooldown_is_refused_with_the_time(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert err.value.translation_key == "cooldown_active"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["name"] == "ID.4"
    assert err.value.translation_placeholders["allowed_at"] != "unknown"
    assert len(await realto_commands(sim)) == 1  # nothing dropped silently, nothing sent


@pytest.mark.parametrize("mode", ["reject", "fail"])
async def test_the_platforms_cooldown_is_reported(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, mode: str
) -> None:
    # Another app just sent a command; the platform enforces its cooldown.
    await sim.call("POST", "/sim/realto/cooldown", {"mode": mode})
    async with aiohttp.ClientSession() as session:
        other_app = RealtoClient(session, REALTO_CLIENT_ID, REALTO_SECRET, base_url=f"{sim.url}/api")
        await other_app.trigger_command(ENTITY_ID, CommandType.STOP_CHARGING)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert err.value.translation_key == "cooldown_active"
    assert entity_state(hass, SWITCH) == STATE_OFF


async def test_schedule_charging_and_cancel(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    start = dt_util.utcnow() + timedelta(hours=2)
    end = start + timedelta(hours=3)
    await hass.services.async_call(
        DOMAIN,
        "schedule_charging",
        {"device_id": device.id, "start": start.isoformat(), "end": end.isoformat()},
        blocking=True,
    )
    commands = await realto_commands(sim)
    assert [c["type"] for c in commands] == ["StartCharging", "StopCharging"]
    assert all(c["status"] == "Pending" for c in commands)
    await hass.services.async_call(
        DOMAIN, "cancel_scheduled_charging", {"device_id": device.id}, blocking=True
    )
    assert [c["status"] for c in await realto_commands(sim)] == ["Canceled", "Canceled"]
    assert entity_state(hass, LAST) == "canceled"


@pytest.mark.parametrize(
    ("start", "end", "key"),
    [
        (timedelta(hours=-1), timedelta(hours=1), "not_in_future"),
        (timedelta(hours=2), timedelta(hours=1), "end_before_start"),
        ("tomorrow", timedelta(hours=1), "invalid_datetime"),
    ],
)
async def test_schedule_charging_bad_input(
    hass: HomeAssistant,
    setup_integration: Any,
    sim: SimulatorHandle,
    start: timedelta | str,
    end: timedelta,
    key: str,
) -> None:
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    now = dt_util.now()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "schedule_charging",
            {
                "device_id": device.id,
                "start": (now + start).strftime("%Y-%m-%d %H:%M:%S")
                if isinstance(start, timedelta)
                else start,
                "end": (now + end).strftime("%Y-%m-%d %H:%M:%S"),
            },
            blocking=True,
        )
    assert err.value.translation_key == key
    assert await realto_commands(sim) == []


async def test_tesla_only_actions_are_refused_for_a_realto_car(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_scheduled_charging",
            {"device_id": device.id, "enable": True, "time": "01:00"},
            blocking=True,
        )
    assert err.value.translation_key == "not_supported"


async def test_both_providers_at_once(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, VIN

    tesla = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCOUNT_ID,
        data={
            CONF_PROVIDER: "tesla",
            CONF_API_URL: sim.url,
            "access_token": ACCESS_TOKEN,
            CONF_VEHICLES: [VIN],
        },
    )
    tesla.add_to_hass(hass)
    assert await hass.config_entries.async_setup(tesla.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.model_3_charging"}, blocking=True
    )
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert entity_state(hass, "switch.model_3_charging") == STATE_ON
    assert entity_state(hass, SWITCH) == STATE_ON


async def test_a_deferred_command_waits_for_the_cooldown(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "defer"})
    async with aiohttp.ClientSession() as session:
        other_app = RealtoClient(session, REALTO_CLIENT_ID, REALTO_SECRET, base_url=f"{sim.url}/api")
        await other_app.trigger_command(ENTITY_ID, CommandType.STOP_CHARGING)
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert entity_state(hass, LAST) == "pending"
    attributes = hass.states.get(LAST).attributes  # type: ignore[union-attr]
    assert dt_util.parse_datetime(attributes["trigger_time"]) > dt_util.utcnow() + timedelta(minutes=5)
    # Not followed before its time, then followed to the end.
    for _ in range(25):
        await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL)
    assert entity_state(hass, LAST) == "succeeded"
    assert entity_state(hass, SWITCH) == STATE_ON


async def test_ignore_cooldown_sends_anyway(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    start = dt_util.utcnow() + timedelta(minutes=2)
    data = {
        "device_id": device.id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(DOMAIN, "schedule_charging", data, blocking=True)
    assert err.value.translation_key == "cooldown_active"
    await hass.services.async_call(
        DOMAIN, "schedule_charging", {**data, "ignore_cooldown": True}, blocking=True
    )
    commands = await realto_commands(sim)
    assert [c["type"] for c in commands] == ["StartCharging", "StartCharging", "StopCharging"]
    requests = await sim.requests(api="realto")
    schedule = [r for r in requests if r["path"].endswith("/commands/schedule")]
    assert schedule[-1]["query"]["ignoreCooldown"] == "true"


async def test_an_ev_added_to_the_account_appears_by_itself(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    from custom_components.ev_charge_control.const import DISCOVERY_INTERVAL
    from simulator.realto.platform import build_entity

    platform = sim.world.realto
    spec = realto_entity_spec(
        id="9d6b1c2e-0000-4000-8000-000000000003", name=None, manufacturer="Kia", model="EV6"
    )
    platform.add_entity(build_entity(platform, spec, {}))
    await move_both_clocks(hass, sim, freezer, DISCOVERY_INTERVAL)
    state = hass.states.get("switch.kia_ev6_charging")
    assert state is not None
    assert state.state == STATE_OFF


async def test_a_window_later_does_not_hold_back_commands_now(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    """The cooldown lies around each command's own time, not until the window ends."""
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    start = dt_util.utcnow() + timedelta(hours=2)
    data = {
        "device_id": device.id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    await hass.services.async_call(DOMAIN, "schedule_charging", data, blocking=True)
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert [c["type"] for c in await realto_commands(sim)] == [
        "StartCharging",
        "StopCharging",
        "StartCharging",
    ]
    assert entity_state(hass, SWITCH) == STATE_ON


async def test_a_window_the_cooldown_half_refused_leaves_nothing_behind(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    # In "fail" mode the platform fails the start (inside another app's cooldown) and
    # keeps the stop; that stray stop must not stay to cut into the next window.
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "fail"})
    async with aiohttp.ClientSession() as session:
        other_app = RealtoClient(session, REALTO_CLIENT_ID, REALTO_SECRET, base_url=f"{sim.url}/api")
        others = await other_app.trigger_command(ENTITY_ID, CommandType.STOP_CHARGING)
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    start = dt_util.utcnow() + timedelta(minutes=5)
    data = {
        "device_id": device.id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
    }
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(DOMAIN, "schedule_charging", data, blocking=True)
    assert err.value.translation_key == "cooldown_active"
    window = {c["type"]: c["status"] for c in await realto_commands(sim) if c["id"] != others.id}
    assert window == {"StartCharging": "Failed", "StopCharging": "Canceled"}
