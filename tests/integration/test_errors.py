"""Each API failure, during a poll and during a command, as the user sees it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_charge_control.const import CONFIRM_DELAY, DOMAIN, TESLA_STATE_INTERVAL

from ..helpers import VIN, SimulatorHandle
from .common import tick

CHARGING = "switch.model_3_charging"


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"kind": "server_error"}, "server_error"),
        ({"kind": "service_unavailable"}, "server_error"),
        ({"kind": "malformed"}, "update_failed"),
        ({"kind": "billing_limit"}, "billing_limit"),
        ({"kind": "account_disabled"}, "billing_limit"),
        ({"kind": "disconnect", "count": 5}, "cannot_connect"),
        ({"kind": "status", "status": 400, "body": {"error": "invalid_request"}}, "update_failed"),
    ],
)
async def test_poll_failures(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    fault: dict[str, Any],
    key: str,
) -> None:
    coordinator = setup_integration.runtime_data.coordinators[VIN]
    await sim.fault(path="^/api/1/vehicles$", **fault)
    await tick(hass, freezer, TESLA_STATE_INTERVAL)
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, HomeAssistantError)
    assert coordinator.last_exception.translation_key == key
    state = hass.states.get(CHARGING)
    assert state is not None
    assert state.state == "unavailable"


async def test_missing_scope_during_a_poll_asks_to_sign_in_again(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    await sim.fault(kind="missing_scope", path="^/api/1/vehicles$")
    await tick(hass, freezer, TESLA_STATE_INTERVAL)
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_a_rate_limited_first_data_request_waits_for_retry_after(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """The account answered, so the entry loads; the car has no values until Tesla lets
    it ask again.  A set-up retry would ask every 5-80 s, each 429 billed."""
    await sim.fault(kind="rate_limit", category="data", retry_after=600)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.model_3_battery").state == STATE_UNAVAILABLE
    await tick(hass, freezer, timedelta(minutes=5))
    data = [r["status"] for r in await sim.requests() if r["path"].endswith("/vehicle_data")]
    assert data == [429]
    assert await sim.call("DELETE", "/sim/faults") == []
    await tick(hass, freezer, timedelta(minutes=5, seconds=1))
    assert hass.states.get("sensor.model_3_battery").state == "77"


async def test_a_stretch_of_rate_limits_is_logged_once_and_its_end_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await sim.fault(kind="rate_limit", path="^/api/1/vehicles$", retry_after=60)
    for _ in range(3):
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
    limited = [r for r in caplog.records if "rate limited by the vehicle API" in r.getMessage()]
    assert [r.levelname for r in limited] == ["WARNING", "DEBUG", "DEBUG"]
    assert await sim.call("DELETE", "/sim/faults") == []
    await tick(hass, freezer, TESLA_STATE_INTERVAL)
    await tick(hass, freezer, TESLA_STATE_INTERVAL)
    answers = [r for r in caplog.records if "answers again" in r.getMessage()]
    assert [r.levelname for r in answers] == ["INFO"]
    # The values were kept throughout.
    assert hass.states.get("sensor.model_3_battery").state == "77"


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"kind": "rate_limit", "retry_after": 30}, "command_rate_limited"),
        ({"kind": "missing_scope"}, "missing_scope"),
        ({"kind": "billing_limit"}, "billing_limit"),
        ({"kind": "disconnect", "count": 5}, "cannot_connect"),
        ({"kind": "malformed"}, "command_failed"),
        ({"kind": "server_error"}, "server_error"),
        ({"kind": "status", "status": 400, "body": {"error": "invalid_command"}}, "command_failed"),
        (
            {"kind": "status", "status": 200, "body": {"response": {"result": False, "reason": "complete"}}},
            "refused_complete",
        ),
        (
            {
                "kind": "status",
                "status": 200,
                "body": {"response": {"result": False, "reason": "could_not_wake_buses"}},
            },
            "refused_not_awake",
        ),
    ],
)
async def test_command_failures_are_translated(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    fault: dict[str, Any],
    key: str,
) -> None:
    await sim.fault(category="command", **fault)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    state = hass.states.get(CHARGING)
    assert state is not None
    assert state.state == "off"


async def test_rejected_token_on_a_command_starts_reauth(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    await sim.fault(category="command", kind="invalid_token")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_confirmation_is_debounced_and_cancelled_on_unload(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    before = len(await sim.requests())
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    freezer.tick(CONFIRM_DELAY * 2)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(await sim.requests()) == before


async def test_a_refused_token_on_the_first_data_request_asks_to_sign_in(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle
) -> None:
    # The list answered, the car's data did not: signing in again is for the account.
    await sim.fault(kind="token_expired", category="data")
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
