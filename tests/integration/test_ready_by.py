"""The ready-by planner through Home Assistant, against the simulated Tesla.

The car is a 2023 Model 3 (plain scheduled charging: one start time, then it charges to
its limit) charging at 16 A on one 230 V phase into 36.8 kWh: 10 % an hour, the rate the
planner assumes until it has seen the car charge.  Home Assistant and the car are in
Amsterdam; both clocks start on Friday 4 December 2026, 18:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Event, HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import DOMAIN
from custom_components.ev_charge_control.ready_by import EVENT_PLAN_UNREACHABLE, REPLAN_DELAY
from simulator import FakeClock

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec
from .common import device_for, entity_state, last_seq, move_both_clocks, sent_commands, tick
from .signing_support import add_signing_entry, signed_log
from .test_signed_commands import NEW_FIRMWARE, _app_schedule, _schedules, _send_rest

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # 18:00 in Amsterdam
SWITCH = "switch.model_3_ready_by_charging"
TARGET = "number.model_3_ready_by_target"
DEPARTURE = "time.model_3_departure_time"
PLAN = "sensor.model_3_charging_plan"
PRICES = "sensor.electricity_price"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(battery_level=50, charge_limit=80, capacity_kwh=36.8, timezone="Europe/Amsterdam")
    )


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FakeClock:
    freezer.move_to(START)
    return FakeClock(start=START.timestamp())


@pytest.fixture(autouse=True)
async def amsterdam(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Amsterdam")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def nordpool(
    today: list[float], tomorrow: list[float] | None, day: date = date(2026, 12, 4)
) -> dict[str, Any]:
    """Attributes shaped like the Nord Pool integration's (HACS): hourly raw lists."""

    def raw(first: date, prices: list[float]) -> list[dict[str, Any]]:
        start = local(first, 0)
        return [
            {
                "start": (start + timedelta(hours=i)).isoformat(),
                "end": (start + timedelta(hours=i + 1)).isoformat(),
                "value": price,
            }
            for i, price in enumerate(prices)
        ]

    return {
        "unit_of_measurement": "EUR/kWh",
        "raw_today": raw(day, today),
        "raw_tomorrow": raw(day + timedelta(days=1), tomorrow or []),
        "tomorrow_valid": tomorrow is not None,
    }


# Friday: dear evening; Saturday: cheapest 02:00-05:00, then dearer again.
FRIDAY = [0.20] * 17 + [0.40, 0.38, 0.35, 0.30, 0.28, 0.25, 0.22]
SATURDAY = [0.18, 0.15, 0.05, 0.04, 0.06, 0.12, 0.25, 0.35] + [0.30] * 16


async def _with_prices(hass: HomeAssistant, entry: MockConfigEntry, attributes: dict[str, Any]) -> None:
    hass.states.async_set(PRICES, "0.25", attributes)
    hass.config_entries.async_update_entry(entry, options={"price_entity": PRICES})


async def _turn_on(hass: HomeAssistant) -> None:
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await hass.async_block_till_done()


def _plan(hass: HomeAssistant) -> dict[str, Any]:
    state = hass.states.get(PLAN)
    assert state is not None
    return dict(state.attributes)


def _windows(hass: HomeAssistant) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])) for w in _plan(hass)["windows"]
    ]


async def test_the_price_sensor_is_chosen_in_the_options_and_followed(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    await _turn_on(hass)
    assert "as late as possible" in _plan(hass)["explanation"]
    hass.states.async_set(PRICES, "0.25", nordpool(FRIDAY, SATURDAY))
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    assert result["type"] == "form"
    assert list(result["data_schema"].schema) == ["price_entity"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"price_entity": PRICES})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert setup_integration.options == {"price_entity": PRICES}
    # The plan follows at once, without a reload: the cheapest block.
    assert _plan(hass)["price_entity"] == PRICES
    saturday = date(2026, 12, 5)
    assert _windows(hass) == [(local(saturday, 2), local(saturday, 5, 30))]
    # Emptied: as late as possible again.
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert setup_integration.options == {}
    assert "as late as possible" in _plan(hass)["explanation"]


async def test_the_entities_start_off_with_defaults(hass: HomeAssistant, setup_integration: Any) -> None:
    assert entity_state(hass, SWITCH) == "off"
    assert entity_state(hass, TARGET) == "80"
    assert entity_state(hass, DEPARTURE) == "07:00:00"
    assert entity_state(hass, PLAN) == "off"


async def test_a_plan_in_the_cheapest_hours_is_written_into_the_car(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await _with_prices(hass, config_entry, nordpool(FRIDAY, SATURDAY))
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    seq = await last_seq(sim)
    await _turn_on(hass)

    assert entity_state(hass, PLAN) == "planned"
    saturday = date(2026, 12, 5)
    # 30 % at 10 %/h: 3 h, 3 h 30 with the margin, in one block (the car holds one
    # start): 02:00-05:30 costs less than any other run of 3 h 30.
    assert _windows(hass) == [(local(saturday, 2), local(saturday, 5, 30))]
    plan = _plan(hass)
    assert plan["expected_soc"] == 80
    assert plan["cost_unit"] == "EUR"
    assert plan["written_to_car"] is True
    assert "cheapest" in plan["explanation"]
    # Written as the car's scheduled charging start, 02:00 local; the limit is the target.
    assert sent_commands(await sim.requests(since=seq)) == [
        ("set_scheduled_charging", {"enable": True, "time": 120})
    ]

    # The car charges by itself at 02:00 and is at its target before 07:00 (Home
    # Assistant's access token has lapsed by then, as it would without a refresh: the
    # plan is in the car).
    for _ in range(13 * 4):
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=15))
    car = await sim.vehicle()
    assert car["charge_state"]["battery_level"] >= 80


async def test_without_prices_it_charges_as_late_as_possible(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    seq = await last_seq(sim)
    await _turn_on(hass)
    saturday = date(2026, 12, 5)
    assert _windows(hass) == [(local(saturday, 3, 30), local(saturday, 7))]
    assert "as late as possible" in _plan(hass)["explanation"]
    assert sent_commands(await sim.requests(since=seq)) == [
        ("set_scheduled_charging", {"enable": True, "time": 210})
    ]


async def test_prices_published_late_re_plan_once(
    hass: HomeAssistant, config_entry: MockConfigEntry, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """Saturday's prices come at 18:30: the plan made on Friday's alone moves once."""
    await _with_prices(hass, config_entry, nordpool(FRIDAY, None))
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await _turn_on(hass)
    friday = date(2026, 12, 4)
    # Known: Friday until midnight; the night counts as the dearest known (0.38).  The
    # cheapest 3 h 18 of charging starts at 20:45; the block's last quarter is margin.
    assert _windows(hass) == [(local(friday, 20, 45), local(friday, 23, 59) + timedelta(minutes=16))]
    assert "prices until" in _plan(hass)["explanation"]
    seq = await last_seq(sim)

    await tick(hass, freezer, timedelta(minutes=30))
    hass.states.async_set(PRICES, "0.25", nordpool(FRIDAY, SATURDAY))
    await tick(hass, freezer, timedelta(seconds=5))
    assert sent_commands(await sim.requests(since=seq)) == []  # coalesced: written once things settle
    await tick(hass, freezer, REPLAN_DELAY)
    saturday = date(2026, 12, 5)
    assert _windows(hass) == [(local(saturday, 2), local(saturday, 5, 30))]
    assert sent_commands(await sim.requests(since=seq)) == [
        ("set_scheduled_charging", {"enable": True, "time": 120})
    ]
    seq = await last_seq(sim)
    # The same prices written again change nothing, and send nothing.
    hass.states.async_set(PRICES, "0.26", nordpool(FRIDAY, SATURDAY))
    await tick(hass, freezer, REPLAN_DELAY + timedelta(seconds=1))
    assert sent_commands(await sim.requests(since=seq)) == []


async def test_an_unreachable_target_is_said_in_advance_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    events: list[Event] = []
    hass.bus.async_listen(EVENT_PLAN_UNREACHABLE, events.append)
    await hass.services.async_call(
        DOMAIN,
        "plan_charging",
        {"device_id": _device_id(hass), "target_soc": 100, "departure_time": "20:00"},
        blocking=True,
    )
    await hass.async_block_till_done()
    # 50 % in 2 h at 10 %/h: 70 % at most; charging starts now.
    assert entity_state(hass, PLAN) == "unreachable"
    assert _plan(hass)["expected_soc"] == pytest.approx(69.8, abs=0.5)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"plan_unreachable_{setup_integration.entry_id}_{VIN.lower()}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["departure"] == "20:00"
    assert len(events) == 1
    assert events[0].data["target"] == 100
    # Polls while it stays out of reach tell nothing new.
    await tick(hass, freezer, timedelta(minutes=10))
    assert len(events) == 1
    # A later departure makes it reachable: the repair goes.
    await hass.services.async_call(
        DOMAIN, "plan_charging", {"device_id": _device_id(hass), "departure_time": "07:00"}, blocking=True
    )
    assert entity_state(hass, PLAN) == "planned"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


def _device_id(hass: HomeAssistant) -> str:
    device = device_for(hass, (DOMAIN, VIN))
    assert device is not None
    return device.id


async def test_the_action_sets_the_plan_and_returns_it(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    seq = await last_seq(sim)
    response: ServiceResponse = await hass.services.async_call(
        DOMAIN,
        "plan_charging",
        {"device_id": _device_id(hass), "target_soc": 90, "departure_time": "06:30"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["target"] == 90
    saturday = date(2026, 12, 5)
    # 40 %: 4 h, 4 h 24 with the margin -> 4 h 30, ending 06:30.
    assert response["windows"] == [
        {
            "start": local(saturday, 2).astimezone(UTC).isoformat(),
            "end": local(saturday, 6, 30).astimezone(UTC).isoformat(),
        }
    ]
    assert entity_state(hass, SWITCH) == "on"
    assert entity_state(hass, TARGET) == "90"
    assert entity_state(hass, DEPARTURE) == "06:30:00"
    # The car's limit becomes the target, then the start is written.
    assert sent_commands(await sim.requests(since=seq)) == [
        ("set_charge_limit", {"percent": 90}),
        ("set_scheduled_charging", {"enable": True, "time": 120}),
    ]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"target_soc": 120}, "invalid_target"),
        ({"target_soc": 80.5}, "invalid_target"),
        ({"target_soc": "lots"}, "invalid_target"),
        ({"departure_time": "25:00"}, "invalid_time"),
        ({"departure": "2026-12-04 17:00"}, "not_in_future"),
        ({"departure": "2026-12-24 09:00"}, "departure_too_far"),
        ({"departure": "tomorrow"}, "invalid_datetime"),
        ({"price_entity": "not an entity"}, "invalid_entity"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_sent(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, data: dict[str, Any], key: str
) -> None:
    seq = await last_seq(sim)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "plan_charging", {"device_id": _device_id(hass), **data}, blocking=True
        )
    assert err.value.translation_key == key
    assert sent_commands(await sim.requests(since=seq)) == []
    assert entity_state(hass, SWITCH) == "off"


async def test_a_target_being_typed_is_written_once(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await _turn_on(hass)
    seq = await last_seq(sim)
    for value in (85, 86, 87):
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: TARGET, "value": value}, blocking=True
        )
        await tick(hass, freezer, timedelta(seconds=5))
    assert entity_state(hass, TARGET) == "87"
    assert _plan(hass)["target"] == 87  # shown at once
    assert sent_commands(await sim.requests(since=seq)) == []
    await tick(hass, freezer, REPLAN_DELAY)
    assert [name for name, _ in sent_commands(await sim.requests(since=seq))] == [
        "set_charge_limit",
        "set_scheduled_charging",
    ]


async def test_a_charge_started_by_hand_is_left_alone(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """With Ready-by on, a boost outside the plan's window runs as long as the user
    wants: its rising charge level rewrites and stops nothing."""
    await _turn_on(hass)
    seq = await last_seq(sim)
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.model_3_charging"}, blocking=True
    )
    for _ in range(9):  # 45 minutes: 7 % more
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    assert [name for name, _ in sent_commands(await sim.requests(since=seq))] == ["charge_start"]
    # Stopped by hand: nothing starts it again.
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: "switch.model_3_charging"}, blocking=True
    )
    for _ in range(3):
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))
    names = [name for name, _ in sent_commands(await sim.requests(since=seq))]
    assert names[:2] == ["charge_start", "charge_stop"]
    assert "charge_start" not in names[2:]


async def test_turning_it_off_removes_the_plan_from_the_car(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    await _turn_on(hass)
    seq = await last_seq(sim)
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert entity_state(hass, PLAN) == "off"
    assert sent_commands(await sim.requests(since=seq)) == [
        ("set_scheduled_charging", {"enable": False, "time": 210})
    ]


async def test_the_settings_survive_a_restart(
    hass: HomeAssistant, setup_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await _turn_on(hass)
    await hass.services.async_call(
        "number", "set_value", {ATTR_ENTITY_ID: TARGET, "value": 70}, blocking=True
    )
    await hass.services.async_call(
        "time", "set_value", {ATTR_ENTITY_ID: DEPARTURE, "time": "06:15"}, blocking=True
    )
    await tick(hass, freezer, timedelta(seconds=5))
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()
    assert entity_state(hass, SWITCH) == "on"
    assert entity_state(hass, TARGET) == "70"
    assert entity_state(hass, DEPARTURE) == "06:15:00"
    assert entity_state(hass, PLAN) == "planned"


class TestUnplugged:
    """The car comes home at 18:00 unplugged."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(
            vehicle_spec(
                battery_level=50,
                charge_limit=80,
                capacity_kwh=36.8,
                timezone="Europe/Amsterdam",
                plugged_in=False,
            )
        )

    async def test_it_is_planned_and_written_when_plugged_in(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        assert entity_state(hass, "binary_sensor.model_3_plugged_in") == "off"
        seq = await last_seq(sim)
        await _turn_on(hass)
        assert entity_state(hass, PLAN) == "planned"
        assert _plan(hass)["written_to_car"] is False
        assert sent_commands(await sim.requests(since=seq)) == []

        await sim.vehicle(VIN, action="plug_in")
        # Plugging in wakes the car, which begins charging at once; the next data
        # request of an awake car (every 30 minutes) sees both.  The plan is written,
        # and the charging outside its window stopped.
        for _ in range(6):
            await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))
        assert entity_state(hass, "binary_sensor.model_3_plugged_in") == "on"
        await move_both_clocks(hass, sim, freezer, REPLAN_DELAY)
        start = _windows(hass)[0][0].astimezone(AMSTERDAM)
        assert start.date() == date(2026, 12, 5)
        assert sent_commands(await sim.requests(since=seq)) == [
            ("set_scheduled_charging", {"enable": True, "time": start.hour * 60 + start.minute}),
            ("charge_stop", {}),
        ]
        assert _plan(hass)["written_to_car"] is True
        car = await sim.vehicle()
        assert car["charge_state"]["charging_state"] == "Stopped"


class TestDeparture:
    """Saturday 05:00: the Model 3 at 75 % charges 06:15-07:00, then it is 07:00."""

    @pytest.fixture
    def clock(self, freezer: FrozenDateTimeFactory) -> FakeClock:
        start = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
        freezer.move_to(start)
        return FakeClock(start=start.timestamp())

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(
            vehicle_spec(battery_level=75, charge_limit=80, capacity_kwh=36.8, timezone="Europe/Amsterdam")
        )

    async def test_a_car_that_left_is_not_written_to(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await _turn_on(hass)
        assert _windows(hass) == [(local(date(2026, 12, 5), 6, 15), local(date(2026, 12, 5), 7))]
        for _ in range(24):  # to 07:00
            await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))
        await sim.vehicle(VIN, action="drive", minutes=60, miles=20)
        seq = await last_seq(sim)
        for _ in range(12):  # an hour on the road
            await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))
        assert sent_commands(await sim.requests(since=seq)) == []
        # The next plan is shown at once: for Sunday 07:00.
        assert _plan(hass)["departure"] == local(date(2026, 12, 6), 7).astimezone(UTC).isoformat()


class TestClocksGoBack:
    """The night of 24 to 25 October 2026 has 25 hours in Amsterdam."""

    @pytest.fixture
    def clock(self, freezer: FrozenDateTimeFactory) -> FakeClock:
        # 01:30 CEST; at 03:00 CEST (01:00 UTC) the clocks go back to 02:00 CET.  (The
        # entry's access token lasts 8 hours, as Tesla's do: the test ends before.)
        start = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
        freezer.move_to(start)
        return FakeClock(start=start.timestamp())

    async def test_the_plan_ends_at_the_departure_on_the_new_clock(
        self,
        hass: HomeAssistant,
        setup_integration: Any,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        seq = await last_seq(sim)
        await _turn_on(hass)
        # 07:00 CET on Sunday is 06:00 UTC; 3 h 30 before it is 02:30 UTC, 03:30 CET.
        assert _windows(hass) == [
            (datetime(2026, 10, 25, 2, 30, tzinfo=UTC), datetime(2026, 10, 25, 6, tzinfo=UTC))
        ]
        assert sent_commands(await sim.requests(since=seq)) == [
            ("set_scheduled_charging", {"enable": True, "time": 210})
        ]
        for _ in range(7 * 4):
            await move_both_clocks(hass, sim, freezer, timedelta(minutes=15))
        car = await sim.vehicle()
        assert car["charge_state"]["battery_level"] >= 80
        # The departure passed: the next plan is for Monday 07:00.
        assert _plan(hass)["departure"] == datetime(2026, 10, 26, 6, tzinfo=UTC).isoformat()


# Friday evening cheap at 20:00-21:00, Saturday cheap at 03:00-05:00: two windows.
SPLIT_FRIDAY = [0.20] * 18 + [0.40, 0.35, 0.05, 0.30, 0.32, 0.34]
SPLIT_SATURDAY = [0.30, 0.28, 0.26, 0.06, 0.04, 0.25, 0.33, 0.40] + [0.30] * 16


class TestChargeSchedules:
    """A Model 3 on firmware 2024.26+, signed commands: the plan is one-time schedules."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(
            vehicle_spec(
                battery_level=50,
                charge_limit=80,
                capacity_kwh=36.8,
                timezone="Europe/Amsterdam",
                command_signing="required",
                firmware=NEW_FIRMWARE,
            )
        )

    @pytest.fixture
    async def entry(self, hass: HomeAssistant, oauth_server: SimulatorHandle) -> MockConfigEntry:
        entry, _key = await add_signing_entry(hass, oauth_server, paired=(VIN,))
        hass.states.async_set(PRICES, "0.25", nordpool(SPLIT_FRIDAY, SPLIT_SATURDAY))
        hass.config_entries.async_update_entry(entry, options={"price_entity": PRICES})
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return entry

    async def test_the_cheapest_windows_become_one_time_schedules_the_car_runs(
        self,
        hass: HomeAssistant,
        entry: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        seq = await last_seq(sim)
        await _turn_on(hass)
        friday, saturday = date(2026, 12, 4), date(2026, 12, 5)
        # 3 h 30: Friday 20:00-21:00 (0.05), Saturday 03:00-05:00 (0.06, 0.04), and the
        # half hour at 0.25 after it.
        assert _windows(hass) == [
            (local(friday, 20), local(friday, 21)),
            (local(saturday, 3), local(saturday, 5, 30)),
        ]
        commands = [name for kind, name in await signed_log(sim, seq) if kind == "command"]
        assert commands == ["add_charge_schedule", "add_charge_schedule"]
        schedules = (await _schedules(sim))["charge_schedule_data"]["charge_schedules"]
        held = sorted(
            (s["start_time"], s["end_time"], s["one_time"], s["days_of_week"], s["name"]) for s in schedules
        )
        # Friday is bit 32, Saturday bit 64 (Tesla's week starts on Sunday, bit 1).
        assert held == [(180, 330, True, 64, "Home Assistant"), (1200, 1260, True, 32, "Home Assistant")]
        planner = entry.runtime_data.planners[VIN]
        assert planner.vehicle.charge_plan_intact() is None  # not read since it was written

        # The car charges in both windows by itself and is at 80 % before 07:00.
        levels: list[float] = []
        for _ in range(13 * 4):
            await move_both_clocks(hass, sim, freezer, timedelta(minutes=15))
            levels.append((await sim.vehicle())["charge_state"]["battery_level"])
        assert levels[-1] >= 80
        # Nothing between the windows: 21:00 to 03:00 the level stands.
        assert levels[3 * 4 + 1] == pytest.approx(levels[8 * 4 + 3], abs=0.5)

    async def test_a_schedule_changed_in_the_app_is_seen(
        self,
        hass: HomeAssistant,
        entry: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await _turn_on(hass)
        planner = entry.runtime_data.planners[VIN]
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=1))  # the confirmation read
        assert planner.vehicle.charge_plan_intact() is True
        # In the app, the owner moves the Saturday window (same id: the app edits it).
        schedules = (await _schedules(sim))["charge_schedule_data"]["charge_schedules"]
        saturday = next(s for s in schedules if s["start_time"] == 180)
        await _send_rest(sim, "add_charge_schedule", {**_app_schedule(start=60), "id": saturday["id"]})
        assert planner.vehicle.charge_plan_intact() is True  # not known before the car is read
        planner.vehicle.request_fresh_data()  # as homeassistant.update_entity does
        await planner.coordinator.async_refresh()
        assert planner.vehicle.charge_plan_intact() is False

    async def test_turning_it_off_removes_the_schedules(
        self, hass: HomeAssistant, entry: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        await _turn_on(hass)
        seq = await last_seq(sim)
        await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
        commands = [name for kind, name in await signed_log(sim, seq) if kind == "command"]
        assert commands == ["remove_charge_schedule", "remove_charge_schedule"]
        assert (await _schedules(sim))["charge_schedule_data"]["charge_schedules"] == []
