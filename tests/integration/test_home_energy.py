"""The "Energy charged at home" sensor: what each car charged at home, counted once.

Home is Amsterdam (Home Assistant's home zone, 100 m).  The Tesla counts its session's
kWh (``charge_energy_added``, from 0 again at each plug-in); the re.alto car reports a
cumulative meter.  Sessions are started and stopped as users do (the Charging switch,
the cable), and Home Assistant restarts, misses polls or sees a car asleep on the way.

Every test runs Home Assistant against the simulator over HTTP, on a frozen clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_ENTITY_ID, ATTR_UNIT_OF_MEASUREMENT, UnitOfEnergy
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_restore_state_shutdown_restart,
    mock_restore_cache_with_extra_data,
)

from custom_components.ev_charge_control.const import CONFIRM_DELAY, DOMAIN
from custom_components.ev_charge_control.diagnostics import async_get_config_entry_diagnostics
from custom_components.ev_charge_control.home_energy_sensor import EVENT_CHARGING_SESSION
from simulator import FakeClock

from ..helpers import (
    ACCESS_TOKEN,
    ENTITY_ID,
    REFRESH_TOKEN,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_entity_spec,
    realto_spec,
    vehicle_spec,
)
from .common import device_for, entity_state, move_both_clocks, realto_entry_data

HOME_ENERGY = "sensor.model_3_energy_charged_at_home"
ENERGY_ADDED = "sensor.model_3_energy_added"
CHARGING = "switch.model_3_charging"
ID4_HOME_ENERGY = "sensor.id_4_energy_charged_at_home"

HOME = {"latitude": 52.3731, "longitude": 4.8926}
NEAR_HOME = {"latitude": 52.3735, "longitude": 4.8930}  # ~50 m away: in the garage
PARIS = {"latitude": 48.8566, "longitude": 2.3522}
LOCATION_SCOPES = ["openid", "offline_access", "user_data", "vehicle_device_data", "vehicle_charging_cmds"]


def _car(**overrides: Any) -> dict[str, Any]:
    """A Model 3 at home, plugged in, not charging, at half charge: 16 A x 230 V."""
    spec: dict[str, Any] = {"battery_level": 50, "charge_limit": 90, "location": NEAR_HOME}
    spec.update(overrides)
    return vehicle_spec(**spec)


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(_car())


@pytest.fixture(autouse=True)
def home(hass: HomeAssistant) -> None:
    """Home Assistant's home, as set under Settings → System → General."""
    hass.config.latitude = HOME["latitude"]
    hass.config.longitude = HOME["longitude"]
    hass.config.radius = 100


@pytest.fixture
def sessions(hass: HomeAssistant) -> list[Event]:
    return async_capture_events(hass, EVENT_CHARGING_SESSION)


def _total(hass: HomeAssistant, entity_id: str = HOME_ENERGY) -> float:
    return float(entity_state(hass, entity_id))


def _counter(hass: HomeAssistant) -> float:
    """The session's kWh as the car reported it at the last read."""
    return float(entity_state(hass, ENERGY_ADDED))


def _last_session(hass: HomeAssistant, entity_id: str = HOME_ENERGY) -> dict[str, Any] | None:
    state = hass.states.get(entity_id)
    assert state is not None
    last: dict[str, Any] | None = state.attributes["last_session"]
    return last


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Home Assistant stops (saving its states) and starts again."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    await _set_up(hass, entry)


async def _charging(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, on: bool
) -> None:
    """The user turns charging on or off; the car confirms it about 15 s later."""
    service = "turn_on" if on else "turn_off"
    await hass.services.async_call("switch", service, {ATTR_ENTITY_ID: CHARGING}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    await move_both_clocks(hass, sim, freezer, CONFIRM_DELAY)


async def _run(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, duration: timedelta
) -> None:
    """Time passes minute by minute; every poll that falls due runs."""
    step = timedelta(minutes=1)
    for _ in range(int(duration / step)):
        await move_both_clocks(hass, sim, freezer, step)


async def _update(hass: HomeAssistant) -> None:
    """What a user does to see fresh values now: homeassistant.update_entity (at least
    10 s after the last refresh: Home Assistant's cool-down skips it before)."""
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant", "update_entity", {ATTR_ENTITY_ID: HOME_ENERGY}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


def _ended(events: list[Event]) -> list[dict[str, Any]]:
    return [dict(event.data) for event in events]


# ------------------------------------------------------------------- Tesla
async def test_the_sensor_is_an_energy_total_for_the_energy_dashboard(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    state = hass.states.get(HOME_ENERGY)
    assert state is not None
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.ENERGY
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfEnergy.KILO_WATT_HOUR
    assert state.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    assert state.attributes["friendly_name"] == "Model 3 Energy charged at home"
    assert state.attributes["last_session"] is None
    assert _total(hass) == 0
    entry = er.async_get(hass).async_get(HOME_ENERGY)
    assert entry is not None
    assert entry.unique_id == f"{VIN}_home_energy"
    assert entry.disabled_by is None
    assert entry.entity_category is None


async def test_a_session_at_home_is_counted_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    sessions: list[Event],
) -> None:
    await _charging(hass, sim, freezer, on=True)
    started = datetime.now(UTC)
    await _run(hass, sim, freezer, timedelta(hours=1))
    assert _counter(hass) > 3
    assert _total(hass) == pytest.approx(_counter(hass))  # counted as it goes in
    assert sessions == []

    await _charging(hass, sim, freezer, on=False)
    stopped = datetime.now(UTC)
    charged = (await sim.vehicle())["charge_state"]["charge_energy_added"]
    assert _counter(hass) == charged
    assert _total(hass) == pytest.approx(charged)

    device = device_for(hass, (DOMAIN, VIN))
    assert device is not None
    (event,) = _ended(sessions)
    assert event == {
        "device_id": device.id,
        "vehicle": "Model 3",
        "start": event["start"],
        "end": event["end"],
        "energy_kwh": pytest.approx(charged),
        "home": True,
    }
    assert datetime.fromisoformat(event["start"]) == started
    assert datetime.fromisoformat(event["end"]) == stopped
    assert _last_session(hass) == {key: event[key] for key in ("start", "end", "energy_kwh", "home")}

    # The car sits on the cable, then sleeps: the same count is read again and again.
    await _run(hass, sim, freezer, timedelta(hours=2))
    assert (await sim.vehicle())["state"] == "asleep"
    assert _total(hass) == pytest.approx(charged)
    assert len(sessions) == 1


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # Saved by an earlier run: the accounting goes on where it was.
        (
            {
                "native_value": 12.5,
                "native_unit_of_measurement": "kWh",
                "home_energy": {"total_kwh": 12.5, "kind": "session", "counter_kwh": 0.0, "plugged_in": True},
            },
            12.5,
        ),
        # The value without its accounting: kept, counting from the next reading.
        ({"native_value": 7.25, "native_unit_of_measurement": "kWh"}, 7.25),
        # Nothing usable: from zero.
        ({"native_value": "lots", "native_unit_of_measurement": "kWh"}, 0.0),
    ],
)
async def test_the_total_is_restored_at_start(
    hass: HomeAssistant, config_entry: MockConfigEntry, extra: dict[str, Any], expected: float
) -> None:
    mock_restore_cache_with_extra_data(hass, ((State(HOME_ENERGY, str(extra["native_value"])), extra),))
    await _set_up(hass, config_entry)
    assert _total(hass) == expected


async def test_a_renamed_sensor_goes_on_counting(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _charging(hass, sim, freezer, on=True)
    await _run(hass, sim, freezer, timedelta(minutes=20))
    renamed = "sensor.garage_charging"
    er.async_get(hass).async_update_entity(HOME_ENERGY, new_entity_id=renamed)
    await hass.async_block_till_done()
    await _run(hass, sim, freezer, timedelta(minutes=20))
    await _charging(hass, sim, freezer, on=False)
    assert _total(hass, renamed) == pytest.approx(_counter(hass))


class TestAsleepAtStart:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(_car(state="asleep"))

    async def test_a_car_asleep_since_the_start_counts_nothing_yet(
        self, hass: HomeAssistant, config_entry: MockConfigEntry
    ) -> None:
        mock_restore_cache_with_extra_data(
            hass, ((State(HOME_ENERGY, "3.0"), {"native_value": 3.0, "native_unit_of_measurement": "kWh"}),)
        )
        await _set_up(hass, config_entry)
        assert entity_state(hass, ENERGY_ADDED) == "unknown"
        assert _total(hass) == 3.0


class TestAway:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(_car(location=PARIS))

    async def test_a_session_away_from_home_is_not_counted(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        sessions: list[Event],
    ) -> None:
        await _charging(hass, sim, freezer, on=True)
        await _run(hass, sim, freezer, timedelta(minutes=45))
        await _charging(hass, sim, freezer, on=False)

        assert _counter(hass) > 2
        assert _total(hass) == 0
        (event,) = _ended(sessions)
        assert event["home"] is False
        assert event["energy_kwh"] == pytest.approx(_counter(hass))


async def test_the_home_zone_decides_where_home_is(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    sessions: list[Event],
) -> None:
    # The home zone was moved to the car's street; the general settings still say elsewhere.
    hass.config.latitude, hass.config.longitude = PARIS["latitude"], PARIS["longitude"]
    hass.states.async_set("zone.home", "0", {**NEAR_HOME, "radius": 50, "friendly_name": "Home"})
    await _set_up(hass, config_entry)
    await _charging(hass, sim, freezer, on=True)
    await _run(hass, sim, freezer, timedelta(minutes=20))
    await _charging(hass, sim, freezer, on=False)
    assert _counter(hass) > 0
    assert _total(hass) == pytest.approx(_counter(hass))
    assert _ended(sessions)[0]["home"] is True


async def test_a_home_zone_without_a_position_leaves_the_general_settings(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    hass.states.async_set("zone.home", "0", {"friendly_name": "Home"})
    await _set_up(hass, config_entry)
    await _charging(hass, sim, freezer, on=True)
    await _run(hass, sim, freezer, timedelta(minutes=20))
    assert _total(hass) == pytest.approx(_counter(hass))


async def test_a_restart_mid_session_counts_nothing_twice(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    sessions: list[Event],
) -> None:
    await _set_up(hass, config_entry)
    await _charging(hass, sim, freezer, on=True)
    await _run(hass, sim, freezer, timedelta(minutes=30))
    before = _total(hass)
    assert before > 1
    assert before == pytest.approx(_counter(hass))

    await _restart(hass, config_entry)
    # The start-up reads the car again: what went in since, not all of it again.
    assert _total(hass) == pytest.approx(_counter(hass))
    await _run(hass, sim, freezer, timedelta(minutes=30))
    await _charging(hass, sim, freezer, on=False)

    charged = (await sim.vehicle())["charge_state"]["charge_energy_added"]
    assert _total(hass) == pytest.approx(charged)
    (event,) = _ended(sessions)
    assert event["energy_kwh"] == pytest.approx(charged)


async def test_home_assistant_down_for_hours_while_the_car_charges_on(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    sessions: list[Event],
) -> None:
    await _set_up(hass, config_entry)
    await _charging(hass, sim, freezer, on=True)
    await _run(hass, sim, freezer, timedelta(minutes=20))
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    # Three hours without Home Assistant; the car charged on, on the same cable.
    await move_both_clocks(hass, sim, freezer, timedelta(hours=3))
    await _set_up(hass, config_entry)
    await _charging(hass, sim, freezer, on=False)

    charged = (await sim.vehicle())["charge_state"]["charge_energy_added"]
    assert charged > 10
    assert _total(hass) == pytest.approx(charged)
    (event,) = _ended(sessions)
    assert event["energy_kwh"] == pytest.approx(charged)


class TestAsleep:
    """The car completes between two polls and falls asleep before the next one."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(_car(battery_level=85, settings={"wake_delay": 0, "sleep_after": 60}))

    async def test_a_session_that_spans_polls_of_a_sleeping_car_is_counted_once(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        sessions: list[Event],
    ) -> None:
        await _charging(hass, sim, freezer, on=True)
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))
        seen = _total(hass)
        assert seen == pytest.approx(_counter(hass))
        assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"

        # 5 % of 75 kWh at 3.7 kW: complete after about an hour, then asleep.  The polls
        # meanwhile find it charging (every 9 minutes), then asleep: no new reading.
        await _run(hass, sim, freezer, timedelta(hours=2))
        car = await sim.vehicle()
        assert car["state"] == "asleep"
        assert car["charge_state"]["charging_state"] == "Complete"
        polled = _total(hass)
        assert polled == pytest.approx(_counter(hass))

        assert polled < car["charge_state"]["charge_energy_added"]  # the end was not seen
        assert sessions == []

        # Hours later the car wakes (the owner opens the app) and is read again.
        await move_both_clocks(hass, sim, freezer, timedelta(hours=3))
        await sim.vehicle(action="state", state="online", settings={"sleep_after": 900})
        await _run(hass, sim, freezer, timedelta(minutes=10))

        charged = car["charge_state"]["charge_energy_added"]
        assert _total(hass) == pytest.approx(charged)
        (event,) = _ended(sessions)
        assert event["energy_kwh"] == pytest.approx(charged)
        assert event["home"] is True


async def test_a_session_that_started_and_ended_unseen_is_never_counted_twice(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    sessions: list[Event],
) -> None:
    await _set_up(hass, config_entry)
    await _charging(hass, sim, freezer, on=True)
    await _run(hass, sim, freezer, timedelta(hours=1))
    await _charging(hass, sim, freezer, on=False)
    first = _total(hass)
    assert first > 3

    # Home Assistant is down.  Meanwhile the car is unplugged, plugged in again and
    # charges for 50 minutes, until the charger cuts the power.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    await sim.vehicle(action="unplug")
    await sim.vehicle(action="plug_in")
    await move_both_clocks(hass, sim, freezer, timedelta(minutes=50))
    await sim.vehicle(action="pilot_current", amps=0)
    unseen = (await sim.vehicle())["charge_state"]["charge_energy_added"]
    assert unseen > first / 2
    await move_both_clocks(hass, sim, freezer, timedelta(hours=2))

    # Back, and the owner looks at the car: the count is lower than before, but not by
    # enough to tell a new session from the old one.  Nothing is counted: under-counted,
    # never counted twice.
    await sim.vehicle(action="state", state="online")
    await _set_up(hass, config_entry)
    assert _counter(hass) == unseen
    assert _total(hass) == pytest.approx(first)
    assert len(sessions) == 1

    # Unplugged (and read so): the count was a new cable's.  Where it went in is no
    # longer known: recorded without a place, not counted.
    await sim.vehicle(action="unplug")
    await move_both_clocks(hass, sim, freezer, timedelta(seconds=11))
    await _update(hass)
    assert entity_state(hass, "binary_sensor.model_3_plugged_in") == "off"
    assert _total(hass) == pytest.approx(first)
    # The next session, on a new cable, counts in full (the car starts by itself).
    await sim.vehicle(action="pilot_current", amps=16)
    await sim.vehicle(action="plug_in")
    await move_both_clocks(hass, sim, freezer, timedelta(seconds=11))
    await _update(hass)
    await _run(hass, sim, freezer, timedelta(minutes=30))
    await _charging(hass, sim, freezer, on=False)
    charged = (await sim.vehicle())["charge_state"]["charge_energy_added"]
    assert _total(hass) == pytest.approx(first + charged)
    assert [(event["energy_kwh"], event["home"]) for event in _ended(sessions)] == [
        (pytest.approx(first), True),
        (pytest.approx(unseen), None),
        (pytest.approx(charged), True),
    ]


class TestWithoutLocationScope:
    """A sign-in from before the integration asked for the car's location."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        token = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "scopes": LOCATION_SCOPES}
        return account_spec(_car(), tokens=[token])

    async def test_polling_goes_on_and_sessions_are_not_counted(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        sessions: list[Event],
    ) -> None:
        assert entity_state(hass, "sensor.model_3_battery") == "50"
        await _charging(hass, sim, freezer, on=True)
        await _run(hass, sim, freezer, timedelta(minutes=30))
        await _charging(hass, sim, freezer, on=False)

        reads = [r for r in await sim.requests() if r["path"].endswith("/vehicle_data")]
        refused = [r for r in reads if r["status"] == 403]
        assert len(refused) == 1  # asked once with location_data, then without it
        assert all("location_data" not in r["query"]["endpoints"] for r in reads if r not in refused)
        assert len(reads) > 4
        assert _total(hass) == 0
        (event,) = _ended(sessions)
        assert event["home"] is None
        assert event["energy_kwh"] == pytest.approx(_counter(hass))


class TestDaylightSavingTime:
    """Amsterdam, the night the clocks go back: 03:00 CEST is 02:00 CET again."""

    @pytest.fixture
    def clock(self, freezer: FrozenDateTimeFactory) -> FakeClock:
        start = datetime(2025, 10, 26, 0, 0, tzinfo=UTC)  # 02:00 CEST
        freezer.move_to(start)
        return FakeClock(start=start.timestamp())

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(_car(timezone="Europe/Amsterdam"))

    async def test_a_session_across_the_change_is_counted_once_with_true_times(
        self,
        hass: HomeAssistant,
        config_entry: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        sessions: list[Event],
    ) -> None:
        await hass.config.async_set_time_zone("Europe/Amsterdam")
        await _set_up(hass, config_entry)
        await _charging(hass, sim, freezer, on=True)
        await _run(hass, sim, freezer, timedelta(hours=2))
        await _charging(hass, sim, freezer, on=False)

        charged = (await sim.vehicle())["charge_state"]["charge_energy_added"]
        assert _total(hass) == pytest.approx(charged)
        (event,) = _ended(sessions)
        start, end = datetime.fromisoformat(event["start"]), datetime.fromisoformat(event["end"])
        assert event["start"].startswith("2025-10-26T02:00:")
        assert event["start"].endswith("+02:00")
        assert event["end"].startswith("2025-10-26T03:00:")
        assert event["end"].endswith("+01:00")
        assert end - start == timedelta(hours=2, seconds=15)  # two real hours, not one
        assert event["energy_kwh"] == pytest.approx(charged)


async def test_diagnostics_show_no_position(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    result: dict[str, Any] = await async_get_config_entry_diagnostics(hass, setup_integration)
    (vehicle,) = result["vehicles"]
    assert vehicle["data"]["latitude"] == "**REDACTED**"
    assert vehicle["data"]["longitude"] == "**REDACTED**"
    assert str(NEAR_HOME["latitude"]) not in str(result)
    assert "charge_energy" in vehicle["capabilities"]


# ----------------------------------------------------------------- re.alto
def _id4(**overrides: Any) -> dict[str, Any]:
    """An ID.4 with an energy meter, unplugged at home; read every 5 minutes."""
    spec: dict[str, Any] = {
        "plugged_in": False,
        "energy_meter_kwh": 1520.0,
        "location": {**NEAR_HOME, "address": "Home"},
    }
    spec.update(overrides)
    return realto_entity_spec(**spec)


@pytest.fixture
async def realto_entry(hass: HomeAssistant, sim: SimulatorHandle) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title="re.alto", unique_id="realto", data=realto_entry_data(sim))
    entry.add_to_hass(hass)
    return entry


async def _realto_session(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> float:
    """Plug in (it charges by itself) for an hour, then unplug; the meter's kWh."""
    await _set_up(hass, entry)
    path = f"/sim/realto/entities/{ENTITY_ID}"
    await sim.call("POST", path, {"action": "plug_in"})
    await _run(hass, sim, freezer, timedelta(hours=1))
    await sim.call("POST", path, {"action": "unplug"})
    await _run(hass, sim, freezer, timedelta(minutes=20))
    meter = (await sim.call("GET", path))["last_reading"]["data"]["positiveActiveEnergy"]["total"]
    return float(meter) - 1520.0


class TestRealtoMeterAtHome:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(_id4())

    async def test_the_meter_counts_a_session_at_home(
        self,
        hass: HomeAssistant,
        realto_entry: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        sessions: list[Event],
    ) -> None:
        charged = await _realto_session(hass, sim, freezer, realto_entry)
        assert charged > 3
        assert _total(hass, ID4_HOME_ENERGY) == pytest.approx(charged)
        (event,) = _ended(sessions)
        assert event["vehicle"] == "ID.4"
        assert event["home"] is True
        assert event["energy_kwh"] == pytest.approx(charged)
        assert _last_session(hass, ID4_HOME_ENERGY) == {
            k: event[k] for k in ("start", "end", "energy_kwh", "home")
        }


class TestRealtoPlaceName:
    """No position in the readings; the platform matched them to a place named Home."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(_id4(location=None, location_matches=["Home"]))

    async def test_a_place_named_home_counts(
        self,
        hass: HomeAssistant,
        realto_entry: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        sessions: list[Event],
    ) -> None:
        charged = await _realto_session(hass, sim, freezer, realto_entry)
        assert charged > 3
        assert _total(hass, ID4_HOME_ENERGY) == pytest.approx(charged)
        assert _ended(sessions)[0]["home"] is True


class TestRealtoWithoutMeter:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(realto_entity_spec())

    async def test_a_car_without_a_meter_has_no_sensor(
        self,
        hass: HomeAssistant,
        realto_entry: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await _set_up(hass, realto_entry)
        await _run(hass, sim, freezer, timedelta(minutes=21))  # two more readings
        assert hass.states.get("sensor.id_4_battery") is not None
        assert hass.states.get(ID4_HOME_ENERGY) is None
        # It would be added if a reading showed one; unloading stops that wait.
        assert await hass.config_entries.async_unload(realto_entry.entry_id)
        await hass.async_block_till_done()


class TestRealtoMeterSeenLater:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(_id4())

    async def test_the_sensor_comes_with_the_first_reading_that_shows_a_meter(
        self,
        hass: HomeAssistant,
        realto_entry: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        # The platform fails the first reading: nothing says yet that the car has a meter.
        await sim.fault(kind="server_error", api="realto", path="/readings/last$", count=1)
        await _set_up(hass, realto_entry)
        assert hass.states.get(ID4_HOME_ENERGY) is None

        await _run(hass, sim, freezer, timedelta(minutes=11))
        assert _total(hass, ID4_HOME_ENERGY) == 0
        assert await hass.config_entries.async_unload(realto_entry.entry_id)
        await hass.async_block_till_done()
