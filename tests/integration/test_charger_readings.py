"""What the car measures while it charges: current, voltage, and whether it charges.

The Charging switch shows the state asked for from the moment a command is accepted;
the "Charging (measured)" binary sensor follows only the car's own readings.  Current
and voltage come from Tesla's ``charge_state`` (the same, already billed request);
re.alto's readings say whether the car charges but carry no current or voltage.

Every test runs Home Assistant against the simulator over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import CONFIRM_DELAY
from custom_components.ev_charge_control.realto import FOLLOW_INTERVAL, READING_INTERVAL

from ..helpers import (
    ENTITY_ID,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_entity_spec,
    realto_spec,
    vehicle_spec,
)
from .common import entity_state, move_both_clocks, realto_entry_data

SWITCH = "switch.model_3_charging"
MEASURED = "binary_sensor.model_3_charging_measured"
CURRENT = "sensor.model_3_charger_current"
VOLTAGE = "sensor.model_3_charger_voltage"
CHARGING_STATE = "sensor.model_3_charging_state"
PLUGGED_IN = "binary_sensor.model_3_plugged_in"

AMPS = 13
LINE_VOLTAGE = 235
# What Tesla reports on the charger line while plugged in and not charging (the Home
# Assistant fixture's Stopped car; reference section 5.1).
IDLE_VOLTAGE = 2
FIXTURES = Path(__file__).parents[2] / "simulator" / "fixtures"


def _car(**overrides: Any) -> dict[str, Any]:
    """A plugged-in Model 3 asking for 13 A on a 32 A, 235 V charger."""
    spec = {
        "amps": AMPS,
        "amps_max": 32,
        "pilot_current": 32,
        "voltage": LINE_VOLTAGE,
        "battery_level": 50,
        "charge_limit": 90,
        **overrides,
    }
    return vehicle_spec(**spec)


def _number(hass: HomeAssistant, entity_id: str) -> float:
    return float(entity_state(hass, entity_id))


async def _turn(hass: HomeAssistant, service: str) -> None:
    await hass.services.async_call("switch", service, {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)  # nothing in flight when time moves


async def _refresh(hass: HomeAssistant) -> None:
    """What a user does to see fresh values now: homeassistant.update_entity."""
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call("homeassistant", "update_entity", {ATTR_ENTITY_ID: CURRENT}, blocking=True)


class TestTeslaIdle:
    """Plugged in, not charging: the start is asked for, then the car confirms it."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(_car(charging=False))

    async def test_the_sensors_are_current_and_voltage_measurements(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry
    ) -> None:
        current, voltage = hass.states.get(CURRENT), hass.states.get(VOLTAGE)
        assert current is not None
        assert voltage is not None
        assert current.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.CURRENT
        assert current.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfElectricCurrent.AMPERE
        assert current.attributes["state_class"] == SensorStateClass.MEASUREMENT
        assert voltage.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.VOLTAGE
        assert voltage.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfElectricPotential.VOLT
        assert voltage.attributes["state_class"] == SensorStateClass.MEASUREMENT
        measured = hass.states.get(MEASURED)
        assert measured is not None
        assert measured.attributes[ATTR_DEVICE_CLASS] == BinarySensorDeviceClass.BATTERY_CHARGING
        assert measured.attributes["friendly_name"] == "Model 3 Charging (measured)"
        registry = er.async_get(hass)
        for entity_id in (CURRENT, VOLTAGE, MEASURED):
            entry = registry.async_get(entity_id)
            assert entry is not None
            assert entry.disabled_by is None, entity_id  # enabled: solar-surplus control reads them
            assert entry.entity_category is None, entity_id
            assert entry.unique_id.startswith(f"{VIN}_")
        for entity_id in (CURRENT, VOLTAGE):
            entry = registry.async_get(entity_id)
            assert entry is not None
            assert entry.options["sensor"]["suggested_display_precision"] == 0

    async def test_plugged_in_and_not_charging_reads_zero_amps_and_off(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry
    ) -> None:
        assert entity_state(hass, PLUGGED_IN) == STATE_ON
        assert _number(hass, CURRENT) == 0  # a real reading, not unknown
        assert _number(hass, VOLTAGE) == IDLE_VOLTAGE
        assert entity_state(hass, MEASURED) == STATE_OFF

    async def test_the_switch_shows_the_request_the_sensor_waits_for_the_car(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await _turn(hass, "turn_on")
        # The car accepted the start: the switch says so at once...
        assert entity_state(hass, SWITCH) == STATE_ON
        # ...while no reading has said the car charges yet.
        assert entity_state(hass, MEASURED) == STATE_OFF
        assert _number(hass, CURRENT) == 0
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Starting"

        # The confirmation read, after the simulated car's few seconds of Starting.
        await move_both_clocks(hass, sim, freezer, CONFIRM_DELAY)
        car = (await sim.vehicle())["charge_state"]
        assert car["charging_state"] == "Charging"
        assert entity_state(hass, CHARGING_STATE) == "charging"
        assert entity_state(hass, MEASURED) == STATE_ON
        assert _number(hass, CURRENT) == car["charger_actual_current"] == AMPS
        assert _number(hass, VOLTAGE) == car["charger_voltage"] == LINE_VOLTAGE
        assert entity_state(hass, SWITCH) == STATE_ON

    async def test_a_reading_taken_while_starting_counts_as_charging(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        """Starting is the car's own word that the session began; nothing flows yet."""
        await sim.vehicle(settings={"starting_seconds": 600})
        await _turn(hass, "turn_on")
        await move_both_clocks(hass, sim, freezer, CONFIRM_DELAY)
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Starting"
        assert entity_state(hass, CHARGING_STATE) == "starting"
        assert entity_state(hass, MEASURED) == STATE_ON
        assert _number(hass, CURRENT) == 0


class TestTeslaCharging:
    """Charging from the start: stopping it, then unplugging."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(_car(charging=True))

    async def test_while_charging_the_readings_show_it(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        car = (await sim.vehicle())["charge_state"]
        assert car["charging_state"] == "Charging"
        assert entity_state(hass, MEASURED) == STATE_ON
        assert _number(hass, CURRENT) == AMPS
        assert _number(hass, VOLTAGE) == LINE_VOLTAGE
        # Power is what the car rounds the same reading to: 13 A x 235 V = 3 kW.
        assert _number(hass, "sensor.model_3_charger_power") == round(AMPS * LINE_VOLTAGE / 1000)

    async def test_after_a_stop_the_readings_go_to_zero_once_the_car_says_so(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await _turn(hass, "turn_off")
        assert entity_state(hass, SWITCH) == STATE_OFF
        # The last reading still says charging: the measured sensor waits for the next.
        assert entity_state(hass, MEASURED) == STATE_ON
        await move_both_clocks(hass, sim, freezer, CONFIRM_DELAY)
        assert entity_state(hass, CHARGING_STATE) == "stopped"
        assert entity_state(hass, MEASURED) == STATE_OFF
        assert _number(hass, CURRENT) == 0
        assert _number(hass, VOLTAGE) == IDLE_VOLTAGE

    async def test_with_the_cable_out_they_read_zero_and_off(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
    ) -> None:
        await sim.vehicle(action="unplug")
        await _refresh(hass)
        assert entity_state(hass, PLUGGED_IN) == STATE_OFF
        assert entity_state(hass, CHARGING_STATE) == "disconnected"
        assert entity_state(hass, MEASURED) == STATE_OFF
        assert _number(hass, CURRENT) == 0
        assert _number(hass, VOLTAGE) == 0


class TestTeslaNulls:
    """A payload that leaves the readings null (as some firmware does while unplugged)."""

    @pytest.fixture
    def scenario(self, tmp_path: Path) -> dict[str, Any]:
        payload = json.loads((FIXTURES / "ha_tesla_fleet_vehicle_data.json").read_text())
        charge = payload["response"]["charge_state"]
        charge.update(charger_actual_current=None, charger_voltage=None, charging_state="Disconnected")
        fixture = tmp_path / "nulls.json"
        fixture.write_text(json.dumps(payload))
        # replay: the simulator serves this charge_state exactly.
        return account_spec(vehicle_spec(fixture=str(fixture), replay=True))

    async def test_null_reads_as_unknown_not_zero(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry
    ) -> None:
        assert entity_state(hass, CURRENT) == STATE_UNKNOWN
        assert entity_state(hass, VOLTAGE) == STATE_UNKNOWN
        assert entity_state(hass, MEASURED) == STATE_OFF  # Disconnected says that much


class TestRealto:
    """re.alto's readings say whether the car charges; they carry no current or voltage."""

    MEASURED = "binary_sensor.id_4_charging_measured"
    SWITCH = "switch.id_4_charging"

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(realto_entity_spec())

    @pytest.fixture
    def entry_data(self, sim: SimulatorHandle) -> dict[str, Any]:
        return realto_entry_data(sim)

    async def test_a_realto_car_gets_the_measured_sensor_but_no_current_or_voltage(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry
    ) -> None:
        keys = {
            e.unique_id.removeprefix(f"{ENTITY_ID}_")
            for e in er.async_entries_for_config_entry(er.async_get(hass), setup_integration.entry_id)
        }
        assert "charging_measured" in keys
        assert not keys & {"charger_current", "charger_voltage", "charger_power"}
        assert entity_state(hass, self.MEASURED) == STATE_OFF  # from the first reading

    async def test_the_switch_shows_the_command_the_sensor_the_readings(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: self.SWITCH}, blocking=True)
        assert entity_state(hass, self.SWITCH) == STATE_ON  # as requested, at once
        assert entity_state(hass, self.MEASURED) == STATE_OFF
        # Let any request still in flight finish: moving the clock past its timeout
        # would fire that timeout (the test clock fires every timer it passes).
        await hass.async_block_till_done(wait_background_tasks=True)
        # The command runs on the platform; until a reading says so, it is not charging.
        await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL)
        assert entity_state(hass, self.SWITCH) == STATE_ON
        assert entity_state(hass, self.MEASURED) == STATE_OFF
        for _ in range(3):
            await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL)
        await move_both_clocks(hass, sim, freezer, READING_INTERVAL)
        assert entity_state(hass, self.MEASURED) == STATE_ON
        assert entity_state(hass, self.SWITCH) == STATE_ON
