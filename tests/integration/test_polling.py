"""The polling policy: never wake a car, ask the free state first, fetch only what is due."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_charge_control.const import (
    COALESCE_DELAY,
    CONF_API_URL,
    CONF_VEHICLES,
    TESLA_CHARGING_INTERVAL,
    TESLA_DECISION_MAX_AGE,
    TESLA_DECISION_REFRESH_SPACING,
    TESLA_IDLE_DATA_INTERVAL,
    TESLA_JUST_PARKED,
    TESLA_STATE_INTERVAL,
)

from ..helpers import ACCOUNT_ID, VIN, SimulatorHandle, account_spec, vehicle_spec
from .common import entity_state, tick

VIN_B = "5YJ3E7EB0KF000002"


def _paths(requests: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r['method']} {r['path'].rsplit('/', 1)[-1] if '/command/' in r['path'] else r['path']}"
        for r in requests
    ]


def _data_calls(requests: list[dict[str, Any]]) -> int:
    return sum(1 for r in requests if r["path"].endswith("/vehicle_data"))


def _list_calls(requests: list[dict[str, Any]]) -> int:
    return sum(1 for r in requests if r["path"] == "/api/1/vehicles")


class TestAsleep:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(state="asleep"))

    async def test_a_sleeping_car_is_never_asked_for_data(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        for _ in range(6):
            await tick(hass, freezer, TESLA_STATE_INTERVAL)
        requests = await sim.requests()
        assert _data_calls(requests) == 0
        assert not any(r["path"].endswith("/wake_up") for r in requests)
        assert _list_calls(requests) == 7  # setup + six cycles, all free
        assert (await sim.vehicle())["state"] == "asleep"
        # Asleep since setup: no values yet, but the controls are there to wake it.
        assert entity_state(hass, "sensor.model_3_battery") == STATE_UNKNOWN
        assert entity_state(hass, "switch.model_3_charging") == STATE_UNKNOWN
        assert entity_state(hass, "binary_sensor.model_3_awake") == STATE_OFF

    async def test_data_is_fetched_once_the_car_wakes_by_itself(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await sim.vehicle(action="state", state="online")
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert _data_calls(await sim.requests()) == 1
        assert entity_state(hass, "sensor.model_3_battery") == "77"
        assert entity_state(hass, "binary_sensor.model_3_awake") == STATE_ON


class TestIdle:
    async def test_an_idle_car_gets_state_checks_and_a_rare_refresh(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        assert _data_calls(await sim.requests()) == 1
        # Keep the simulated car awake so only the policy decides.
        await sim.vehicle(settings={"sleep_after": 86400})
        steps = int(TESLA_IDLE_DATA_INTERVAL / TESLA_STATE_INTERVAL)
        for _ in range(steps - 1):
            await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert _data_calls(await sim.requests()) == 1
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert _data_calls(await sim.requests()) == 2

    async def test_a_car_that_falls_asleep_keeps_its_values(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        updated = entity_state(hass, "sensor.model_3_data_updated")
        await sim.vehicle(action="state", state="asleep")
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert entity_state(hass, "sensor.model_3_battery") == "77"
        assert entity_state(hass, "number.model_3_charge_limit") == "80"
        assert entity_state(hass, "binary_sensor.model_3_awake") == STATE_OFF
        # The age of the values is visible.
        assert entity_state(hass, "sensor.model_3_data_updated") == updated

    async def test_asleep_between_state_check_and_data_keeps_values(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await sim.fault(kind="vehicle_unavailable", category="data", count=1)
        await tick(hass, freezer, TESLA_IDLE_DATA_INTERVAL)
        assert entity_state(hass, "sensor.model_3_battery") == "77"
        assert entity_state(hass, "binary_sensor.model_3_awake") == STATE_OFF
        assert entity_state(hass, "switch.model_3_charging") == STATE_OFF


class TestCharging:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        # A big battery at 6 A: hours from the limit, so the session does not end here.
        return account_spec(vehicle_spec(charging=True, battery_level=40, amps=6, capacity_kwh=100))

    async def test_charging_car_is_refreshed_at_the_charging_interval(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        assert entity_state(hass, "switch.model_3_charging") == STATE_ON
        for expected in (2, 3, 4):
            sim.advance(TESLA_CHARGING_INTERVAL.total_seconds())
            await tick(hass, freezer, TESLA_CHARGING_INTERVAL)
            assert _data_calls(await sim.requests()) == expected
        assert float(entity_state(hass, "sensor.model_3_energy_added")) > 0

    async def test_the_end_of_a_session_is_caught_early(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        minutes = int(entity_state(hass, "sensor.model_3_time_to_full"))
        await sim.vehicle(action="battery_level", level=79.9)
        sim.advance(TESLA_CHARGING_INTERVAL.total_seconds())
        await tick(hass, freezer, TESLA_CHARGING_INTERVAL)
        remaining = int(entity_state(hass, "sensor.model_3_time_to_full"))
        assert remaining < minutes
        sim.advance((remaining + 1) * 60)
        await tick(hass, freezer, timedelta(minutes=remaining + 1))
        assert entity_state(hass, "sensor.model_3_charging_state") == "complete"


class TestErrors:
    async def test_rate_limited_keeps_data_and_waits(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        coordinator = setup_integration.runtime_data.coordinators[VIN]
        await sim.fault(kind="rate_limit", path="^/api/1/vehicles$", retry_after=1200, count=1)
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert coordinator.update_interval == timedelta(seconds=1200)
        assert entity_state(hass, "sensor.model_3_battery") == "77"
        before = len(await sim.requests())
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert len(await sim.requests()) == before  # honours Retry-After
        await tick(hass, freezer, timedelta(seconds=1200))
        assert len(await sim.requests()) > before
        assert coordinator.update_interval == TESLA_STATE_INTERVAL

    async def test_server_error_makes_entities_unavailable_until_it_clears(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await sim.fault(kind="server_error", path="^/api/1/vehicles$", count=1)
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert entity_state(hass, "sensor.model_3_battery") == STATE_UNAVAILABLE
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert entity_state(hass, "sensor.model_3_battery") == "77"

    async def test_rejected_token_starts_reauth(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await sim.call("POST", "/sim/tokens/expire", {})
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        flows = hass.config_entries.flow.async_progress()
        assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
        assert flows[0]["context"]["entry_id"] == setup_integration.entry_id

    async def test_a_car_removed_from_the_account_fails_the_update(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        account = sim.world.accounts[ACCOUNT_ID]
        account.vins.remove(VIN)
        await tick(hass, freezer, TESLA_STATE_INTERVAL)
        assert entity_state(hass, "sensor.model_3_battery") == STATE_UNAVAILABLE


class TestAccount:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(
            vehicle_spec(state="asleep"),
            vehicle_spec(vin=VIN_B, id=100002, display_name="Second", state="asleep"),
        )

    async def test_sleeping_cars_share_one_state_check_per_cycle(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        assert _list_calls(await sim.requests()) == 1  # setup and both first refreshes
        for cycle in range(2, 5):
            await tick(hass, freezer, TESLA_STATE_INTERVAL)
            requests = await sim.requests()
            assert _list_calls(requests) == cycle
            assert len(requests) == cycle

    async def test_only_the_selected_cars_are_added(
        self, hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        hass.config_entries.async_update_entry(
            config_entry, data={**config_entry.data, CONF_VEHICLES: [VIN_B]}
        )
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        assert list(config_entry.runtime_data.coordinators) == [VIN_B]
        assert hass.states.get("switch.model_3_charging") is None
        assert hass.states.get("switch.second_charging") is not None

    async def test_a_rate_limited_list_holds_for_every_car_of_the_account(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        """Each car asking again would be billed its own 429."""
        await sim.fault(kind="rate_limit", path="^/api/1/vehicles$", retry_after=1200)
        freezer.tick(timedelta(minutes=1))  # the set-up's list is no longer recent
        seq = (await sim.requests())[-1]["seq"]
        for coordinator in setup_integration.runtime_data.coordinators.values():
            await coordinator.async_refresh()
            assert coordinator.last_update_success  # the last values are kept
            assert coordinator.update_interval >= timedelta(minutes=19)
        lists = [r for r in await sim.requests(since=seq) if r["path"] == "/api/1/vehicles"]
        assert [r["status"] for r in lists] == [429]


class TestRegion:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(), region="eu")

    async def test_wrong_region_is_followed_and_remembered(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        assert setup_integration.state is ConfigEntryState.LOADED
        assert setup_integration.data[CONF_API_URL] == f"{sim.url}/eu"
        assert entity_state(hass, "sensor.model_3_battery") == "77"


def _data_for(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["path"].endswith("/vehicle_data")]


async def _both(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: SimulatorHandle, delta: timedelta
) -> None:
    """Move the simulator and Home Assistant on together."""
    sim.advance(delta.total_seconds())
    await tick(hass, freezer, delta)


async def _set_amps(hass: HomeAssistant, freezer: FrozenDateTimeFactory, value: int) -> None:
    """number.set_value as an automation calls it; it returns once the window has passed."""
    call = asyncio.get_running_loop().create_task(
        hass.services.async_call(
            "number",
            "set_value",
            {ATTR_ENTITY_ID: "number.model_3_charging_current", "value": value},
            blocking=True,
        )
    )
    for _ in range(20):
        await asyncio.sleep(0)
        if call.done():
            break
    if not call.done():
        freezer.tick(timedelta(seconds=COALESCE_DELAY + 0.1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    await call


def _amps_commands(requests: list[dict[str, Any]]) -> list[Any]:
    return [r["body"] for r in requests if r["path"].endswith("/command/set_charging_amps")]


class TestDecisionsOnFreshValues:
    """Refusing or skipping a command needs values the car may not have changed since.

    ``freezer`` comes before ``setup_integration`` so that the integration's timers are
    set on the frozen clock (timers set before it would all fire at the first tick).
    """

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(plugged_in=False, settings={"wake_delay": 0, "sleep_after": 86400}))

    async def test_a_car_plugged_in_since_the_last_values_is_not_refused(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        await _both(hass, freezer, sim, TESLA_DECISION_MAX_AGE + timedelta(minutes=1))
        await sim.vehicle(action="plug_in")
        await _set_amps(hass, freezer, 10)
        requests = await sim.requests()
        assert len(_data_for(requests)) == 2  # setup, then the check before deciding
        assert _amps_commands(requests) == [{"charging_amps": 10}]

    async def test_recent_values_are_trusted(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        with pytest.raises(ServiceValidationError):
            await _set_amps(hass, freezer, 10)
        assert len(_data_for(await sim.requests())) == 1

    async def test_checks_for_a_parked_car_are_spaced_so_it_can_sleep(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        for _ in range(4):
            await _both(hass, freezer, sim, TESLA_DECISION_MAX_AGE + timedelta(minutes=1))
            with pytest.raises(ServiceValidationError):
                await _set_amps(hass, freezer, 10)
        # Four refusals within 12 minutes: one check.
        assert len(_data_for(await sim.requests())) == 2
        await _both(hass, freezer, sim, TESLA_DECISION_REFRESH_SPACING)
        with pytest.raises(ServiceValidationError):
            await _set_amps(hass, freezer, 10)
        assert len(_data_for(await sim.requests())) == 3

    async def test_the_value_the_car_has_is_neither_sent_nor_refused(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        await _both(hass, freezer, sim, TESLA_DECISION_MAX_AGE + timedelta(minutes=1))
        await _set_amps(hass, freezer, 16)
        requests = await sim.requests()
        assert len(_data_for(requests)) == 1  # the setup's
        assert _amps_commands(requests) == []

    async def test_a_sleeping_car_is_not_asked(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        await sim.vehicle(action="state", state="asleep")
        await _both(hass, freezer, sim, TESLA_STATE_INTERVAL)
        with pytest.raises(ServiceValidationError):
            await _set_amps(hass, freezer, 10)
        requests = await sim.requests()
        assert len(_data_for(requests)) == 1
        assert not any(r["path"].endswith("/wake_up") for r in requests)

    async def test_a_stop_is_not_skipped_on_old_values(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        # Plugged in after the values were fetched: the car starts charging by itself.
        await sim.vehicle(action="plug_in")
        await _both(hass, freezer, sim, TESLA_DECISION_MAX_AGE + timedelta(minutes=1))
        assert entity_state(hass, "switch.model_3_charging") == STATE_OFF
        await hass.services.async_call(
            "switch", "turn_off", {ATTR_ENTITY_ID: "switch.model_3_charging"}, blocking=True
        )
        requests = await sim.requests()
        assert [r["path"].rsplit("/", 1)[-1] for r in requests if "/command/" in r["path"]] == ["charge_stop"]
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Stopped"

    async def test_a_start_is_not_skipped_on_old_values(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        # Charging when fetched, then unplugged and plugged in again with a schedule set:
        # the values say "charging", the car waits.
        await sim.vehicle(action="plug_in")
        coordinator = setup_integration.runtime_data.coordinators[VIN]
        coordinator.vehicle.request_fresh_data()
        await coordinator.async_refresh()
        assert entity_state(hass, "switch.model_3_charging") == STATE_ON
        sim.world.vehicles[VIN].command("charge_stop", {})
        await _both(hass, freezer, sim, TESLA_DECISION_MAX_AGE + timedelta(minutes=1))
        await hass.services.async_call(
            "switch", "turn_on", {ATTR_ENTITY_ID: "switch.model_3_charging"}, blocking=True
        )
        requests = await sim.requests()
        assert [r["path"].rsplit("/", 1)[-1] for r in requests if "/command/" in r["path"]] == [
            "charge_start"
        ]

    async def test_a_start_is_skipped_once_fresh_values_show_charging(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        # "Unplugged" when fetched; plugged in since, and charging by itself.
        await sim.vehicle(action="plug_in")
        await _both(hass, freezer, sim, TESLA_DECISION_MAX_AGE + timedelta(minutes=1))
        await hass.services.async_call(
            "switch", "turn_on", {ATTR_ENTITY_ID: "switch.model_3_charging"}, blocking=True
        )
        requests = await sim.requests()
        assert len(_data_for(requests)) == 2
        assert not any("/command/" in r["path"] for r in requests)
        assert entity_state(hass, "switch.model_3_charging") == STATE_ON


class TestDecisionsWhileDriving:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(
            vehicle_spec(
                plugged_in=False,
                driving={"minutes": 10, "miles": 5},
                settings={"wake_delay": 0, "sleep_after": 86400},
            )
        )

    async def test_checks_are_not_spaced_while_driving_or_just_parked(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        step = TESLA_DECISION_MAX_AGE + timedelta(minutes=1)
        for expected in (2, 3, 4, 5, 6):  # driving, driving, then parked for 10 minutes
            await _both(hass, freezer, sim, step)
            with pytest.raises(ServiceValidationError):
                await _set_amps(hass, freezer, 10)
            assert len(_data_for(await sim.requests())) == expected
        await _both(hass, freezer, sim, TESLA_JUST_PARKED)
        for _ in range(2):
            await _both(hass, freezer, sim, step)
            with pytest.raises(ServiceValidationError):
                await _set_amps(hass, freezer, 10)
        # Parked for a while: the first refusal checks, the second trusts it.
        assert len(_data_for(await sim.requests())) == 7


class TestCommandsWhileCharging:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(charging=True, battery_level=40, amps=6, capacity_kwh=100))

    async def test_changing_the_current_does_not_postpone_polling(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        for value in (7, 8, 7, 8, 7, 8):
            await _both(hass, freezer, sim, timedelta(minutes=3))
            await _set_amps(hass, freezer, value)
        requests = await sim.requests()
        assert len(_amps_commands(requests)) == 6
        assert len(_data_for(requests)) == 3  # setup, then every charging interval

    async def test_a_charging_car_needs_no_state_check(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: Any,
        sim: SimulatorHandle,
    ) -> None:
        await _both(hass, freezer, sim, TESLA_CHARGING_INTERVAL)
        requests = await sim.requests()
        assert _paths(requests)[2:] == [f"GET /api/1/vehicles/{VIN}/vehicle_data"]  # after the setup's two

    async def test_a_charging_car_follows_its_account_to_another_region(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
    ) -> None:
        await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}", {"region": "eu"})
        await _both(hass, freezer, sim, TESLA_CHARGING_INTERVAL)
        # The data request without a state check hit the old region; the state check
        # that follows moves to the new one, where the data is fetched.
        assert _paths(await sim.requests())[2:] == [
            f"GET /api/1/vehicles/{VIN}/vehicle_data",
            "GET /api/1/vehicles",
            "GET /eu/api/1/vehicles",
            f"GET /eu/api/1/vehicles/{VIN}/vehicle_data",
        ]
        assert setup_integration.data[CONF_API_URL] == f"{sim.url}/eu"
        assert setup_integration.runtime_data.coordinators[VIN].last_update_success
