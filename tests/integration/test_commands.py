"""Controls as a user or automation triggers them: what reaches the car, and what the user sees."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_charge_control.const import CONFIRM_DELAY, DOMAIN
from custom_components.ev_charge_control.issues import ISSUE_SIGNING_NOT_SET_UP, issue_id

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec
from .common import entity_state, sent_commands

CHARGING = "switch.model_3_charging"
SCHEDULED = "switch.model_3_scheduled_charging"


async def _refresh(hass: HomeAssistant) -> None:
    """What a user does to see fresh values now: homeassistant.update_entity."""
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant", "update_entity", {ATTR_ENTITY_ID: "sensor.model_3_battery"}, blocking=True
    )


async def _call(hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any) -> None:
    await hass.services.async_call(domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True)


class TestChargingSwitch:
    async def test_turn_on_and_off(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await _call(hass, "switch", "turn_on", CHARGING)
        # Shown at once, from the car's reply.
        assert entity_state(hass, CHARGING) == STATE_ON
        assert entity_state(hass, "sensor.model_3_charging_state") == "starting"
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Starting"
        # A refresh confirms it shortly after.
        sim.advance(CONFIRM_DELAY.total_seconds())
        freezer.tick(CONFIRM_DELAY)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entity_state(hass, "sensor.model_3_charging_state") == "charging"

        await _call(hass, "switch", "turn_off", CHARGING)
        assert entity_state(hass, CHARGING) == STATE_OFF
        assert sent_commands(await sim.requests()) == [("charge_start", {}), ("charge_stop", {})]

    async def test_no_op_is_not_sent(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        await _call(hass, "switch", "turn_off", CHARGING)
        assert sent_commands(await sim.requests()) == []

    async def test_unplugged_is_refused_before_sending(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        await sim.vehicle(action="unplug")
        await _refresh(hass)
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "switch", "turn_on", CHARGING)
        assert err.value.translation_key == "not_plugged_in"
        assert err.value.translation_domain == DOMAIN
        assert sent_commands(await sim.requests()) == []

    async def test_refusal_reaches_the_user_translated(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        # The car knows better than our last poll: it was unplugged since.
        await sim.vehicle(action="unplug")
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_on", CHARGING)
        assert err.value.translation_key == "refused_disconnected"
        assert err.value.translation_placeholders == {"name": "Model 3"}
        assert entity_state(hass, CHARGING) == STATE_OFF  # the state returns

    async def test_unknown_refusal_shows_the_cars_words(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        await sim.fault(
            kind="status",
            category="command",
            status=200,
            body={"response": {"result": False, "reason": "odd"}},
        )
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_on", CHARGING)
        assert err.value.translation_key == "command_refused"
        assert err.value.translation_placeholders == {"name": "Model 3", "reason": "odd"}

    async def test_already_charging_reply_is_success(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        await sim.fault(
            kind="status",
            category="command",
            status=200,
            count=1,
            body={"response": {"result": False, "reason": "is_charging"}},
        )
        await _call(hass, "switch", "turn_on", CHARGING)
        assert entity_state(hass, CHARGING) == STATE_ON


class TestWake:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(state="asleep"))

    async def test_command_to_a_sleeping_car_wakes_it_first(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        # Asleep since setup: state unknown, yet the switch can be used.
        assert entity_state(hass, CHARGING) == "unknown"
        await _call(hass, "switch", "turn_on", CHARGING)
        paths = [r["path"].rsplit("/", 1)[-1] for r in await sim.requests()]
        assert paths[-3:] == [VIN, "wake_up", "charge_start"]
        assert paths.count("wake_up") == 1
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Starting"

    async def test_a_car_that_never_wakes_gives_a_clear_error(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr("custom_components.ev_charge_control.tesla.TESLA_WAKE_TIMEOUT", 0.05)
        await sim.vehicle(action="state", state="offline")
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_on", CHARGING)
        assert err.value.translation_key == "wake_timeout"
        assert sent_commands(await sim.requests()) == []


class TestFellAsleep:
    async def test_408_on_the_command_wakes_and_retries_once(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        # The car dozed off after the last poll; our view still says online.
        await sim.fault(kind="vehicle_unavailable", category="command", count=1)
        await _call(hass, "switch", "turn_on", CHARGING)
        commands = sent_commands(await sim.requests())
        assert commands == [("charge_start", {}), ("charge_start", {})]
        assert entity_state(hass, CHARGING) == STATE_ON

    async def test_a_second_408_is_reported(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        await sim.fault(kind="vehicle_unavailable", category="command", count=2)
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_on", CHARGING)
        assert err.value.translation_key == "vehicle_unavailable"
        assert len(sent_commands(await sim.requests())) == 2


class TestSigning:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(command_signing="required"))

    async def test_signing_required_raises_a_repair(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_on", CHARGING)
        assert err.value.translation_key == "signing_required"
        repair = issue_id(ISSUE_SIGNING_NOT_SET_UP, setup_integration.entry_id, VIN)
        issue = ir.async_get(hass).async_get_issue(DOMAIN, repair)
        assert issue is not None
        assert issue.translation_key == ISSUE_SIGNING_NOT_SET_UP
        assert issue.translation_placeholders == {"name": "Model 3"}


class TestScheduledChargingSwitch:
    async def test_turning_on_keeps_the_cars_time(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        # The fixture's car last had 10:00 (600 min) set in the app.
        await _call(hass, "switch", "turn_on", SCHEDULED)
        assert sent_commands(await sim.requests()) == [
            ("set_scheduled_charging", {"enable": True, "time": 600})
        ]
        assert entity_state(hass, SCHEDULED) == STATE_ON
        await _call(hass, "switch", "turn_off", SCHEDULED)
        assert sent_commands(await sim.requests())[-1] == (
            "set_scheduled_charging",
            {"enable": False, "time": 600},
        )
        assert entity_state(hass, SCHEDULED) == STATE_OFF


class TestAsleepScheduledSwitch:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(state="asleep"))

    async def test_unknown_time_is_refused(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "switch", "turn_on", SCHEDULED)
        assert err.value.translation_key == "scheduled_time_unknown"
        assert sent_commands(await sim.requests()) == []


class TestButtons:
    @pytest.mark.parametrize(
        ("button", "command", "expected"),
        [
            ("button.model_3_open_charge_port", "charge_port_door_open", {"charge_port_latch": "Disengaged"}),
            ("button.model_3_charge_to_max_range", "charge_max_range", {"charge_limit_soc": 100}),
        ],
    )
    async def test_press(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        button: str,
        command: str,
        expected: dict[str, Any],
    ) -> None:
        await _call(hass, "button", "press", button)
        assert sent_commands(await sim.requests()) == [(command, {})]
        charge = (await sim.vehicle())["charge_state"]
        assert {key: charge[key] for key in expected} == expected

    async def test_max_range_shows_at_once(self, hass: HomeAssistant, setup_integration: Any) -> None:
        await _call(hass, "button", "press", "button.model_3_charge_to_max_range")
        assert entity_state(hass, "number.model_3_charge_limit") == "100"

    async def test_standard_range_is_not_sent_when_already_there(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        # The fixture's limit (80) is its standard limit.
        await _call(hass, "button", "press", "button.model_3_charge_to_standard_range")
        assert sent_commands(await sim.requests()) == []

    async def test_standard_range_after_max(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        await _call(hass, "button", "press", "button.model_3_charge_to_max_range")
        await _call(hass, "button", "press", "button.model_3_charge_to_standard_range")
        assert [c for c, _ in sent_commands(await sim.requests())] == ["charge_max_range", "charge_standard"]
        assert entity_state(hass, "number.model_3_charge_limit") == "80"

    async def test_close_port_refused_with_cable(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "button", "press", "button.model_3_close_charge_port")
        assert err.value.translation_key == "refused_cable_connected"
        assert entity_state(hass, "binary_sensor.model_3_charge_port") == STATE_ON

    async def test_close_port_when_unplugged(
        self, hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
    ) -> None:
        await sim.vehicle(action="unplug")
        await _refresh(hass)
        await _call(hass, "button", "press", "button.model_3_close_charge_port")
        assert entity_state(hass, "binary_sensor.model_3_charge_port") == STATE_OFF
        await _call(hass, "button", "press", "button.model_3_close_charge_port")  # no-op now
        assert [c for c, _ in sent_commands(await sim.requests())] == ["charge_port_door_close"]
