"""Every control of a car that requires signed commands, through Home Assistant.

The entry signs commands here (the installation's key, paired with the car), and the
simulator's car verifies each one as a real car does.  The request log tells handshakes
from commands, so the tests see what was signed, that nothing went as a plain REST
command, and that nothing ran twice.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.api.tesla.signing import SigningKey
from custom_components.ev_charge_control.api.tesla.signing.messages import (
    MessageStatus,
    RoutableMessage,
    SessionInfo,
    SignatureData,
)
from custom_components.ev_charge_control.const import COALESCE_DELAY, DOMAIN
from custom_components.ev_charge_control.diagnostics import async_get_config_entry_diagnostics
from custom_components.ev_charge_control.issues import ISSUE_KEY_NOT_PAIRED, issue_id
from custom_components.ev_charge_control.signing import async_get_session_store

from ..helpers import ACCESS_TOKEN, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .common import add_oauth_entry, device_for, entity_state, tick
from .signing_support import add_signing_entry, key_file, last_seq, private_key_fragments, signed_log

NEW_FIRMWARE = "2025.20.6 4c5ad9d1b3a0"
OLD_FIRMWARE = "2024.20.9 a1b2c3"
CHARGING = "switch.model_3_charging"


@pytest.fixture
def scenario() -> dict[str, Any]:
    """A Model 3 on older firmware (scheduled charging), needing signed commands."""
    return account_spec(vehicle_spec(command_signing="required", firmware=OLD_FIRMWARE))


@pytest.fixture
async def signing_entry(
    hass: HomeAssistant, oauth_server: SimulatorHandle
) -> tuple[MockConfigEntry, SigningKey]:
    entry, key = await add_signing_entry(hass, oauth_server, paired=(VIN,))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry, key


async def _call(hass: HomeAssistant, domain: str, service: str, **data: Any) -> None:
    await hass.services.async_call(domain, service, data, blocking=True)


def _device_id(hass: HomeAssistant, vin: str = VIN) -> str:
    device = device_for(hass, (DOMAIN, vin))
    assert device is not None
    return device.id


async def _car(sim: SimulatorHandle, vin: str = VIN) -> dict[str, Any]:
    state: dict[str, Any] = (await sim.vehicle(vin))["charge_state"]
    return state


async def _schedules(sim: SimulatorHandle, vin: str = VIN) -> dict[str, Any]:
    """What the car reports of its schedules (asked as Tesla's API is asked)."""
    url = f"{sim.url}/api/1/vehicles/{vin}/vehicle_data"
    params = {"endpoints": "charge_schedule_data;preconditioning_schedule_data"}
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    async with sim.admin.get(url, params=params, headers=headers) as response:
        assert response.status == 200
        body: dict[str, Any] = (await response.json())["response"]
    return body


class TestEverySeedCommand:
    """Each control sends its command signed; the car carries it out."""

    async def test_charging_switch(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        seq = await last_seq(sim)
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        assert (await _car(sim))["charging_state"] == "Starting"
        await _call(hass, "switch", "turn_off", entity_id=CHARGING)
        assert (await _car(sim))["charging_state"] == "Stopped"
        # One handshake for the car's infotainment, then signed commands only.
        assert await signed_log(sim, seq) == [
            ("handshake", None),
            ("command", "charge_start"),
            ("command", "charge_stop"),
        ]

    async def test_numbers(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
    ) -> None:
        seq = await last_seq(sim)
        for entity, value in (("number.model_3_charge_limit", 90), ("number.model_3_charging_current", 10)):
            call = asyncio.get_running_loop().create_task(
                hass.services.async_call(
                    "number", "set_value", {ATTR_ENTITY_ID: entity, "value": value}, blocking=True
                )
            )
            for _ in range(10):  # let the call reach the entity; it waits for the window
                await asyncio.sleep(0)
            await tick(hass, freezer, timedelta(seconds=COALESCE_DELAY + 0.1))
            await call
        car = await _car(sim)
        assert (car["charge_limit_soc"], car["charge_current_request"]) == (90, 10)
        assert await signed_log(sim, seq) == [
            ("handshake", None),
            ("command", "set_charge_limit"),
            ("command", "set_charging_amps"),
        ]

    async def test_buttons(self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle) -> None:
        await sim.vehicle(action="unplug")
        seq = await last_seq(sim)
        for button in ("max_range", "standard_range", "close_charge_port", "open_charge_port"):
            await _call(hass, "button", "press", entity_id=f"button.model_3_{_button_name(button)}")
        car = await _car(sim)
        assert car["charge_limit_soc"] == car["charge_limit_soc_std"]
        assert car["charge_port_door_open"] is True
        assert [name for kind, name in await signed_log(sim, seq) if kind == "command"] == [
            "charge_max_range",
            "charge_standard",
            "charge_port_door_close",
            "charge_port_door_open",
        ]

    async def test_scheduled_charging_and_departure(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        seq = await last_seq(sim)
        await _call(
            hass, DOMAIN, "set_scheduled_charging", device_id=_device_id(hass), enable=True, time="01:30"
        )
        assert (await _car(sim))["scheduled_charging_start_time_minutes"] == 90
        assert entity_state(hass, "switch.model_3_scheduled_charging") == STATE_ON
        await _call(hass, "switch", "turn_off", entity_id="switch.model_3_scheduled_charging")
        assert (await _car(sim))["scheduled_charging_mode"] == "Off"
        await _call(
            hass,
            DOMAIN,
            "set_scheduled_departure",
            device_id=_device_id(hass),
            departure_time="07:30",
            preconditioning_enabled=True,
            off_peak_charging_weekdays_only=True,
            end_off_peak_time="06:00",
        )
        car = await _car(sim)
        assert car["scheduled_departure_time_minutes"] == 450
        assert (car["preconditioning_times"], car["off_peak_charging_times"]) == ("all_week", "weekdays")
        assert [name for kind, name in await signed_log(sim, seq) if kind == "command"] == [
            "set_scheduled_charging",
            "set_scheduled_charging",
            "set_scheduled_departure",
        ]


def _button_name(key: str) -> str:
    return {
        "max_range": "charge_to_max_range",
        "standard_range": "charge_to_standard_range",
        "close_charge_port": "close_charge_port",
        "open_charge_port": "open_charge_port",
    }[key]


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


class TestChargeSchedules:
    """Firmware 2024.26+: the switch and both actions write the car's schedules."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(command_signing="required", firmware=NEW_FIRMWARE))

    async def test_scheduled_charging_is_a_daily_schedule(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        switch = "switch.model_3_scheduled_charging"
        assert entity_state(hass, switch) == STATE_OFF  # no schedule starts charging yet
        seq = await last_seq(sim)
        await _call(
            hass, DOMAIN, "set_scheduled_charging", device_id=_device_id(hass), enable=True, time="01:30"
        )
        [schedule] = (await _schedules(sim))["charge_schedule_data"]["charge_schedules"]
        assert schedule["name"] == "Home Assistant"
        assert (schedule["start_enabled"], schedule["start_time"], schedule["enabled"]) == (True, 90, True)
        assert schedule["days_of_week"] == 127
        assert schedule["latitude"] == pytest.approx(hass.config.latitude, abs=1e-4)
        assert schedule["longitude"] == pytest.approx(hass.config.longitude, abs=1e-4)
        # The deprecated command is not used on this firmware: it would change nothing.
        assert [name for kind, name in await signed_log(sim, seq) if kind == "command"] == [
            "add_charge_schedule"
        ]
        assert entity_state(hass, switch) == STATE_ON

        # Off keeps the schedule and its time; on again uses that time.
        await _call(hass, "switch", "turn_off", entity_id=switch)
        [schedule] = (await _schedules(sim))["charge_schedule_data"]["charge_schedules"]
        assert (schedule["enabled"], schedule["start_time"]) == (False, 90)
        await _refresh(hass)
        assert entity_state(hass, switch) == STATE_OFF
        await _call(hass, "switch", "turn_on", entity_id=switch)
        [schedule] = (await _schedules(sim))["charge_schedule_data"]["charge_schedules"]
        assert (schedule["enabled"], schedule["start_time"]) == (True, 90)

    async def test_the_switch_follows_schedules_made_in_the_app(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        """A schedule from the Tesla app turns the switch on; turning it off keeps it, disabled."""
        await _send_rest(sim, "add_charge_schedule", _app_schedule(start=23 * 60))
        await _refresh(hass)
        switch = "switch.model_3_scheduled_charging"
        assert entity_state(hass, switch) == STATE_ON
        start = hass.states.get("sensor.model_3_scheduled_charging_start")
        assert start is not None
        assert start.state.endswith(":00+00:00")
        await _call(hass, "switch", "turn_off", entity_id=switch)
        [schedule] = (await _schedules(sim))["charge_schedule_data"]["charge_schedules"]
        assert (schedule["name"], schedule["enabled"], schedule["start_time"]) == ("", False, 23 * 60)

    async def test_departure_writes_precondition_and_off_peak_schedules(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        await _call(
            hass,
            DOMAIN,
            "set_scheduled_departure",
            device_id=_device_id(hass),
            departure_time="07:30",
            preconditioning_weekdays_only=True,
            off_peak_charging_enabled=True,
            off_peak_start_time="00:30",
            end_off_peak_time="06:00",
        )
        data = await _schedules(sim)
        [precondition] = data["preconditioning_schedule_data"]["precondition_schedules"]
        assert (precondition["precondition_time"], precondition["days_of_week"]) == (450, 62)
        [window] = data["charge_schedule_data"]["charge_schedules"]
        assert (window["start_time"], window["end_time"], window["end_enabled"]) == (30, 360, True)

        await _refresh(hass)  # the integration learns its schedules back from the car
        await _call(hass, DOMAIN, "set_scheduled_departure", device_id=_device_id(hass), enable=False)
        data = await _schedules(sim)
        [precondition] = data["preconditioning_schedule_data"]["precondition_schedules"]
        [window] = data["charge_schedule_data"]["charge_schedules"]
        assert (precondition["enabled"], window["enabled"]) == (False, False)

    async def test_off_peak_needs_its_start_and_nothing_is_sent(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        seq = await last_seq(sim)
        with pytest.raises(ServiceValidationError) as err:
            await _call(
                hass,
                DOMAIN,
                "set_scheduled_departure",
                device_id=_device_id(hass),
                departure_time="07:30",
                off_peak_charging_enabled=True,
                end_off_peak_time="06:00",
            )
        assert err.value.translation_key == "off_peak_start_required"
        assert err.value.translation_placeholders == {"name": "Model 3"}
        assert await signed_log(sim, seq) == []


def _app_schedule(start: int) -> dict[str, Any]:
    return {
        "days_of_week": "All",
        "enabled": True,
        "start_enabled": True,
        "start_time": start,
        "end_enabled": False,
        "lat": 32.87336,
        "lon": -117.22743,
    }


async def _send_rest(sim: SimulatorHandle, command: str, body: dict[str, Any]) -> None:
    """What the Tesla app does, through the simulator's own signed-off path: set it directly."""
    await sim.vehicle(command_signing="allowed")
    url = f"{sim.url}/api/1/vehicles/{VIN}/command/{command}"
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    async with sim.admin.post(url, json=body, headers=headers) as response:
        assert response.status == 200, await response.text()
    await sim.vehicle(command_signing="required")


async def _refresh(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant", "update_entity", {ATTR_ENTITY_ID: "sensor.model_3_battery"}, blocking=True
    )


class TestFaults:
    """What the car refuses reaches the user translated, and nothing runs twice."""

    async def test_a_rebooted_car_is_resynced_without_the_user_noticing(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"reboot": True})
        seq = await last_seq(sim)
        await _call(hass, "switch", "turn_off", entity_id=CHARGING)
        # Refused for the old epoch (fault 15, with the new session), then run once.
        assert await signed_log(sim, seq) == [("command", "charge_stop"), ("command", "charge_stop")]
        records = [r for r in await sim.requests(since=seq) if r["path"].endswith("/signed_command")]
        assert [r["signed_fault"] for r in records] == [15, 0]
        assert (await _car(sim))["charging_state"] == "Stopped"

    @pytest.mark.parametrize(
        ("damage", "fault"),
        [
            (lambda s: {"counter": s["counter"] - 1}, 6),  # a counter the car has seen: a replay
            (lambda s: {"epoch": "00" * 16}, 15),  # another epoch
            (lambda s: {"clock_offset": s["clock_offset"] + 600}, 17),  # expired on arrival
            (lambda s: {"vehicle_public_key": SigningKey.generate().public_hex()}, 5),  # bad tag
        ],
        ids=["replayed_counter", "wrong_epoch", "expired", "bad_tag"],
    )
    async def test_a_stale_session_after_a_restart_is_repaired_once(
        self,
        hass: HomeAssistant,
        signing_entry: tuple[MockConfigEntry, SigningKey],
        sim: SimulatorHandle,
        damage: Any,
        fault: int,
    ) -> None:
        """The stored session went stale (another client, a crash before saving, a clock
        jump): the car refuses with fresh session info, and the command runs once."""
        entry, _ = signing_entry
        sim.advance(700)  # the car's clock is well past 0, so an expiry can lie behind it
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        store = await async_get_session_store(hass)
        saved = dict(store.load(VIN, 3) or {})
        store.save(VIN, 3, {**saved, **damage(saved)})
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        seq = await last_seq(sim)
        await _call(hass, "switch", "turn_off", entity_id=CHARGING)
        records = [r for r in await sim.requests(since=seq) if r["path"].endswith("/signed_command")]
        assert [(r["command"], r["signed_fault"]) for r in records] == [
            ("charge_stop", fault),
            ("charge_stop", 0),
        ]
        assert (await _car(sim))["charging_state"] == "Stopped"
        assert entity_state(hass, CHARGING) == STATE_OFF

    async def test_an_unpaired_car_gets_a_repair_that_checks_with_tesla(
        self, hass: HomeAssistant, signing_entry: tuple[MockConfigEntry, SigningKey], sim: SimulatorHandle
    ) -> None:
        entry, key = signing_entry
        await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"unpair_key": key.public_hex()})
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        assert err.value.translation_key == "key_not_paired"
        repair = issue_id(ISSUE_KEY_NOT_PAIRED, entry.entry_id, VIN)
        issue = ir.async_get(hass).async_get_issue(DOMAIN, repair)
        assert issue is not None
        assert issue.is_fixable
        assert issue.translation_placeholders == {
            "name": "Model 3",
            "domain": "ha.example.com",
            "pairing_url": f"{sim.url}/_ak/ha.example.com",
        }
        assert (await _car(sim))["charging_state"] == "Stopped"

        assert await async_setup_component(hass, "repairs", {})
        manager = repairs_flow_manager(hass)
        assert manager is not None
        result = await manager.async_init(DOMAIN, data={"issue_id": repair})
        assert result["step_id"] == "pair"
        assert result["description_placeholders"]["pairing_url"] == f"{sim.url}/_ak/ha.example.com"
        result = await manager.async_configure(result["flow_id"], {})
        assert result["errors"] == {"base": "not_paired"}
        await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"pair_key": key.public_hex()})
        result = await manager.async_configure(result["flow_id"], {})
        assert result["type"] == "create_entry"
        assert ir.async_get(hass).async_get_issue(DOMAIN, repair) is None
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        assert (await _car(sim))["charging_state"] == "Starting"

    async def test_a_busy_car_ran_nothing(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)  # the handshake is done
        await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"busy": 1})
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_off", entity_id=CHARGING)
        assert err.value.translation_key == "vehicle_busy"
        assert (await _car(sim))["charging_state"] == "Starting"
        assert entity_state(hass, CHARGING) == STATE_ON

    @pytest.mark.parametrize(
        ("fault", "key", "placeholders"),
        [
            (21, "signed_remote_access_disabled", {"name": "Model 3"}),
            (7, "signed_insufficient_privileges", {"name": "Model 3"}),
            (22, "signed_command_fault", {"name": "Model 3", "fault": "REMOTE_SERVICE_ACCESS_DISABLED"}),
        ],
    )
    async def test_protocol_faults_are_named(
        self,
        hass: HomeAssistant,
        signing_entry: Any,
        sim: SimulatorHandle,
        fault: int,
        key: str,
        placeholders: dict[str, str],
    ) -> None:
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)  # the handshake is done
        reply = RoutableMessage(status=MessageStatus(operation_status=2, fault=fault))
        body = {"response": base64.b64encode(reply.encode()).decode()}
        await sim.fault(kind="status", status=200, body=body, path="/signed_command", count=1)
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_off", entity_id=CHARGING)
        assert err.value.translation_key == key
        assert err.value.translation_placeholders == placeholders

    async def test_a_handshake_answer_that_does_not_verify(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        impostor = SigningKey.generate()
        info = SessionInfo(counter=1, public_key=impostor.public_point(), epoch=bytes(16), clock_time=5)
        reply = RoutableMessage(
            session_info=info.encode(), signature_data=SignatureData(session_info_tag=bytes(32))
        )
        body = {"response": base64.b64encode(reply.encode()).decode()}
        await sim.fault(kind="status", status=200, body=body, path="/signed_command", count=1)
        seq = await last_seq(sim)
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        assert err.value.translation_key == "signing_session_invalid"
        assert await signed_log(sim, seq) == [("http 200", None)]  # only the forged handshake
        assert (await _car(sim))["charging_state"] == "Stopped"

    async def test_an_asleep_car_is_woken_then_signed_to(
        self, hass: HomeAssistant, signing_entry: Any, sim: SimulatorHandle
    ) -> None:
        await sim.vehicle(action="state", state="asleep")
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        assert (await _car(sim))["charging_state"] == "Starting"


class TestRestart:
    async def test_sessions_survive_a_restart_and_no_handshake_is_needed(
        self,
        hass: HomeAssistant,
        signing_entry: tuple[MockConfigEntry, SigningKey],
        sim: SimulatorHandle,
        hass_storage: dict[str, Any],
        freezer: FrozenDateTimeFactory,
    ) -> None:
        entry, _ = signing_entry
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        await tick(hass, freezer, _seconds(15))  # the delayed save of the sessions
        stored = hass_storage[f"{DOMAIN}.tesla_sessions"]["data"]
        assert list(stored) == [f"{VIN}:3"]
        assert "private" not in str(stored).lower()
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        seq = await last_seq(sim)
        await _call(hass, "switch", "turn_off", entity_id=CHARGING)
        assert await signed_log(sim, seq) == [("command", "charge_stop")]


class TestSigningNotSetUp:
    """A signed-in entry that sends plain commands: the car that needs signing gets a repair."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(
            vehicle_spec(command_signing="required"),
            vehicle_spec(vin=VIN2, id=100002, display_name="Model S", command_signing="off"),
        )

    async def test_repair_at_set_up_and_plain_commands_for_the_older_car(
        self, hass: HomeAssistant, oauth_server: SimulatorHandle
    ) -> None:
        entry = await add_oauth_entry(hass, oauth_server)
        hass.config_entries.async_update_entry(entry, data={**entry.data, "vehicles": [VIN, VIN2]})
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        issues = [i for (_, i) in ir.async_get(hass).issues if i.startswith("signing_not_set_up")]
        assert issues == [f"signing_not_set_up_{entry.entry_id}_{VIN.lower()}"]
        seq = await last_seq(oauth_server)
        await _call(hass, "switch", "turn_on", entity_id="switch.model_s_charging")
        assert await signed_log(oauth_server, seq) == [("rest", "charge_start")]
        await hass.config_entries.async_remove(entry.entry_id)
        assert [i for (_, i) in ir.async_get(hass).issues if entry.entry_id in i] == []


class TestNoKeyLeaves:
    async def test_diagnostics_and_logs_hold_no_private_key_byte(
        self,
        hass: HomeAssistant,
        signing_entry: tuple[MockConfigEntry, SigningKey],
        sim: SimulatorHandle,
        caplog: pytest.LogCaptureFixture,
        config_dir: Path,
    ) -> None:
        entry, key = signing_entry
        await _call(hass, "switch", "turn_on", entity_id=CHARGING)
        result = await async_get_config_entry_diagnostics(hass, entry)
        text = json.dumps(result, default=str)
        secrets = private_key_fragments(await asyncio.to_thread(key_file(config_dir).read_bytes), key)
        for fragment in secrets:
            assert fragment not in text
            assert fragment not in caplog.text
        assert result["entry"]["data"]["domain"] == "**REDACTED**"
        (vehicle,) = result["vehicles"]
        assert vehicle["provider"]["signed_here"] is True
        assert vehicle["api_requests"]["handshakes"] == 1
