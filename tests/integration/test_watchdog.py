"""The charging watchdog, against the simulated cars on the frozen clock.

Both clocks start at midnight in Amsterdam (Saturday 5 December 2026); the ready-by
plan (target 80 %, departure 07:00, no prices) charges the car, at 50 %, from 03:30.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import DISCOVERY_INTERVAL, DOMAIN
from custom_components.ev_charge_control.watchdog import EVENT_CHARGING_PROBLEM, REPEAT_AFTER
from simulator import FakeClock
from simulator.scenario import load_fixture
from simulator.tesla.vehicle import SimVehicle

from ..helpers import (
    ACCESS_TOKEN,
    ACCOUNT_ID,
    ENTITY_ID,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_entity_spec,
    realto_spec,
    vehicle_spec,
)
from .common import (
    device_for,
    entity_state,
    last_seq,
    move_both_clocks,
    realto_commands,
    realto_entry_data,
    sent_commands,
)

MIDNIGHT = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # Saturday 00:00 in Amsterdam


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FakeClock:
    freezer.move_to(MIDNIGHT)
    return FakeClock(start=MIDNIGHT.timestamp())


@pytest.fixture(autouse=True)
async def amsterdam(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Amsterdam")


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(battery_level=50, charge_limit=80, capacity_kwh=36.8, timezone="Europe/Amsterdam")
    )


@pytest.fixture
def problems(hass: HomeAssistant) -> list[Event]:
    events: list[Event] = []
    hass.bus.async_listen(EVENT_CHARGING_PROBLEM, events.append)
    return events


def _issue(hass: HomeAssistant, entry: MockConfigEntry, kind: str, car: str = VIN) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}_{car.lower()}")


async def _until(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, hours: float
) -> None:
    """Move both clocks ``hours`` in five-minute steps (polls and checks run between)."""
    for _ in range(round(hours * 12)):
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))


async def _until_time(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    """Move both clocks in five-minute steps until ``moment`` (on the five-minute grid)."""
    while dt_util.utcnow() < moment:
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))


async def _ready_by(hass: HomeAssistant, car: str = "model_3") -> None:
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: f"switch.{car}_ready_by_charging"}, blocking=True
    )


async def _charging(hass: HomeAssistant, on: bool, car: str = "model_3") -> None:
    """The Charging switch, as the user (or an automation) turns it."""
    await hass.services.async_call(
        "switch", "turn_on" if on else "turn_off", {ATTR_ENTITY_ID: f"switch.{car}_charging"}, blocking=True
    )


def _told(problems: list[Event]) -> list[tuple[str, str | None, bool]]:
    return [(e.data["problem"], e.data["expected_by"], e.data["retried"]) for e in problems]


async def _starts(sim: SimulatorHandle, seq: int) -> list[str]:
    return [name for name, _ in sent_commands(await sim.requests(since=seq))]


async def test_the_switch_on_but_the_car_never_starting_is_told_once_and_retried_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    """The wallbox waits for its card: the car accepts the start and never draws."""
    await sim.vehicle(VIN, action="hold")
    await _charging(hass, True)
    seq = await last_seq(sim)
    await _until(hass, sim, freezer, 0.17)  # 00:10
    assert entity_state(hass, "switch.model_3_charging") == "off"  # as the car reads
    assert problems == []
    await _until(hass, sim, freezer, 0.08)  # 00:15: the grace time is over
    assert _told(problems) == [("charging_not_started", "switch", True)]
    assert problems[0].data["name"] == "Model 3"
    assert problems[0].data["device_id"] == _device(hass)
    issue = _issue(hass, setup_integration, "charging_not_started")
    assert issue is not None
    assert (issue.is_fixable, issue.severity) == (False, ir.IssueSeverity.WARNING)
    assert issue.translation_placeholders == {"name": "Model 3", "since": "00:00"}
    assert await _starts(sim, seq) == ["charge_start"]  # the one retry
    # Another hour and more: nothing is told or sent again.  The switch's hour is over
    # at 01:00, and its repair with it.
    await _until(hass, sim, freezer, 1.25)
    assert len(problems) == 1
    assert await _starts(sim, seq) == ["charge_start"]
    assert _issue(hass, setup_integration, "charging_not_started") is None
    # The repair goes with the entry's unloading, too: told again, then unloaded.
    await _charging(hass, True)
    await _until(hass, sim, freezer, 0.25)
    assert len(problems) == 2
    assert _issue(hass, setup_integration, "charging_not_started") is not None
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert _issue(hass, setup_integration, "charging_not_started") is None


async def test_the_car_starting_after_the_retry_clears_the_repair(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    await sim.vehicle(VIN, action="hold")
    await _charging(hass, True)
    await _until(hass, sim, freezer, 0.17)
    await sim.vehicle(VIN, action="hold", on=False)  # the card, at last: the car waits
    await _until(hass, sim, freezer, 0.08)
    assert _told(problems) == [("charging_not_started", "switch", True)]
    assert _issue(hass, setup_integration, "charging_not_started") is not None
    await _until(hass, sim, freezer, 0.08)  # the start's confirmation read
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    assert _issue(hass, setup_integration, "charging_not_started") is None
    await _until(hass, sim, freezer, 2)
    assert len(problems) == 1


async def test_a_stop_asked_for_here_is_no_problem(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    """Stopped with the switch, after the switch or in a plan window: nothing is told
    and nothing is started again."""
    await _charging(hass, True)
    await _until(hass, sim, freezer, 0.5)
    await _charging(hass, False)
    await _until(hass, sim, freezer, 2)  # 02:30
    await _ready_by(hass)  # from 55 %: the window opens at 04:15
    await _until(hass, sim, freezer, 2)  # 04:30
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    seq = await last_seq(sim)
    await _charging(hass, False)
    await _until(hass, sim, freezer, 2)
    assert problems == []
    assert await _starts(sim, seq) == ["charge_stop"]


async def test_with_ready_by_on_a_start_by_hand_is_watched_until_it_charges(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    """Ready-by plans 03:30 to 07:00; a boost at 00:10 charges, and when it ends (the
    plan's next write, the app, the car) is the plan's or the user's: not told, and
    nothing is started again, until the plan's own window."""
    await _ready_by(hass)
    await _until(hass, sim, freezer, 10 / 60)
    await _charging(hass, True)
    seq = await last_seq(sim)
    await _until(hass, sim, freezer, 5 / 60)
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    await _until(hass, sim, freezer, 3)
    assert problems == []
    assert "charge_start" not in await _starts(sim, seq)


async def test_a_session_stopped_in_the_app_is_restarted_once_and_told_at_most_hourly(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    """Charging on by the switch, then stopped in the Tesla app, twice: one start
    again, and the second stop told an hour after the first, without a start.  (The
    charging car is read every ten minutes here, at a phase the polls choose.)"""
    await _charging(hass, True)
    await _until(hass, sim, freezer, 30 / 60)
    await _send_plain(sim, "charge_stop", {})  # 00:30: read by 00:40, told by 00:55
    seq = await last_seq(sim)
    await _until(hass, sim, freezer, 35 / 60)  # 01:05
    assert _told(problems) == [("charging_stopped_early", "switch", True)]
    assert await _starts(sim, seq) == ["charge_start"]
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    assert _issue(hass, setup_integration, "charging_stopped_early") is None
    told = problems[0].time_fired
    await _send_plain(sim, "charge_stop", {})  # 01:05, on purpose: read by 01:15
    seq = await last_seq(sim)
    await _until_time(hass, sim, freezer, told + REPEAT_AFTER - timedelta(minutes=5))
    assert len(problems) == 1  # back, and lasting, but told less than an hour ago
    assert _issue(hass, setup_integration, "charging_stopped_early") is None
    await _until_time(hass, sim, freezer, told + REPEAT_AFTER)
    assert _told(problems)[1:] == [("charging_stopped_early", "switch", False)]
    assert _issue(hass, setup_integration, "charging_stopped_early") is not None
    # An hour after the car was last seen charging (01:05), the switch expects nothing.
    await _until_time(hass, sim, freezer, MIDNIGHT + timedelta(hours=2, minutes=5))
    assert _issue(hass, setup_integration, "charging_stopped_early") is None
    await _until(hass, sim, freezer, 1)
    assert len(problems) == 2
    assert await _starts(sim, seq) == []


async def test_a_flapping_charger_is_told_at_most_once_an_hour(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    """The charger gives no power, then some, then none again: the second time within
    the hour of the first is not told; a third, later, is.  (The charging car is read
    every ten minutes, at a phase the polls choose: the steps leave room for that.)"""
    await _charging(hass, True)
    await _until(hass, sim, freezer, 15 / 60)
    seq = await last_seq(sim)
    await sim.vehicle(VIN, action="stall")  # 00:15: read by 00:25, told by 00:40
    await _until(hass, sim, freezer, 25 / 60)
    assert [e.data["problem"] for e in problems] == ["charging_without_power"]
    told = problems[0].time_fired
    await sim.vehicle(VIN, action="stall", on=False)
    await _until_time(hass, sim, freezer, told + timedelta(minutes=15))
    assert _issue(hass, setup_integration, "charging_without_power") is None
    # Back for 20 minutes or more (read within ten of the change), gone before the hour.
    await sim.vehicle(VIN, action="stall")
    await _until_time(hass, sim, freezer, told + timedelta(minutes=45))
    await sim.vehicle(VIN, action="stall", on=False)
    await _until_time(hass, sim, freezer, told + timedelta(minutes=60))
    assert len(problems) == 1
    assert _issue(hass, setup_integration, "charging_without_power") is None
    await sim.vehicle(VIN, action="stall")  # an hour after it was told: told again
    await _until_time(hass, sim, freezer, told + timedelta(minutes=90))
    assert [(e.data["problem"], e.data["retried"]) for e in problems] == [
        ("charging_without_power", False)
    ] * 2
    assert _issue(hass, setup_integration, "charging_without_power") is not None
    assert await _starts(sim, seq) == []


async def test_the_cars_own_schedule_is_told_and_never_retried(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    await sim.vehicle(VIN, action="hold")
    await hass.services.async_call(
        DOMAIN,
        "set_scheduled_charging",
        {"device_id": _device(hass), "enable": True, "time": "01:00"},
        blocking=True,
    )
    seq = await last_seq(sim)
    await _until(hass, sim, freezer, 1)
    assert sim.world.vehicles[VIN].events[-1][1] == "scheduled_start"
    assert problems == []
    await _until(hass, sim, freezer, 20 / 60)  # 01:20
    assert _told(problems) == [("charging_not_started", "schedule", False)]
    assert problems[0].data["since"] == (MIDNIGHT + timedelta(hours=1)).isoformat()
    assert await _starts(sim, seq) == []
    # An hour after the car's start, nothing is expected of it any more.
    await _until(hass, sim, freezer, 1)
    assert _issue(hass, setup_integration, "charging_not_started") is None
    assert len(problems) == 1
    assert await _starts(sim, seq) == []


async def test_a_plan_window_without_charging_is_told_once_and_retried_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    await _ready_by(hass)
    await sim.vehicle(VIN, action="pilot_current", amps=0)  # the wallbox lost power
    seq = await last_seq(sim)
    await _until(hass, sim, freezer, 3.5)  # 03:30: the window opens
    assert problems == []
    assert _issue(hass, setup_integration, "charging_not_started") is None
    await _until(hass, sim, freezer, 0.25)  # the grace time
    assert [(e.data["problem"], e.data["expected_by"], e.data["retried"]) for e in problems] == [
        ("charging_not_started", "plan", True)
    ]
    issue = _issue(hass, setup_integration, "charging_not_started")
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Model 3", "since": "03:30"}
    # The one retry: the car refuses it (no power), and nothing more is sent.
    assert [name for name, _ in sent_commands(await sim.requests(since=seq))] == ["charge_start"]
    await _until(hass, sim, freezer, 2)
    assert len(problems) == 1
    assert [name for name, _ in sent_commands(await sim.requests(since=seq))] == ["charge_start"]
    # Departure: charging is no longer expected, and the repair goes.
    await _until(hass, sim, freezer, 1.5)
    assert _issue(hass, setup_integration, "charging_not_started") is None
    assert len(problems) == 1


async def test_a_retry_that_works_clears_the_repair(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    """The car missed its start (it was asleep and did not wake for its schedule)."""
    await _ready_by(hass)
    # In the car, scheduled charging is off again (an app, a reset), unknown to us.
    await _send_plain(sim, "set_scheduled_charging", {"enable": False, "time": 0})
    await _until(hass, sim, freezer, 3.75)
    # The car, read again, no longer holds the plan: told at once, and not overwritten.
    # Charging did not start at 03:30 either: told after the grace time, and retried.
    assert _told(problems) == [
        ("charging_schedule_changed", "plan", False),  # your change is yours: not undone
        ("charging_not_started", "plan", True),
    ]
    await _until(hass, sim, freezer, 0.25)
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    assert _issue(hass, setup_integration, "charging_not_started") is None


async def test_charging_without_power_is_told_and_nothing_is_sent(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: "switch.model_3_charging"}, blocking=True
    )
    await sim.vehicle(VIN, action="stall", on=True)
    seq = await last_seq(sim)
    await _until(hass, sim, freezer, 0.5)
    assert [(e.data["problem"], e.data["retried"]) for e in problems] == [("charging_without_power", False)]
    assert sent_commands(await sim.requests(since=seq)) == []
    assert _issue(hass, setup_integration, "charging_without_power") is not None
    # The supply is back: the car draws power again, the repair goes.
    await sim.vehicle(VIN, action="stall", on=False)
    await _until(hass, sim, freezer, 0.25)
    assert _issue(hass, setup_integration, "charging_without_power") is None


async def test_charging_stopped_before_the_target_is_restarted_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    await _ready_by(hass)
    await _until(hass, sim, freezer, 4)  # charging since 03:30
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    await _send_plain(sim, "charge_stop", {})  # stopped in the Tesla app
    seq = await last_seq(sim)
    await _until(hass, sim, freezer, 0.5)
    assert [(e.data["problem"], e.data["retried"]) for e in problems] == [("charging_stopped_early", True)]
    assert [name for name, _ in sent_commands(await sim.requests(since=seq))] == ["charge_start"]
    await _until(hass, sim, freezer, 0.25)
    assert entity_state(hass, "binary_sensor.model_3_charging_measured") == "on"
    assert _issue(hass, setup_integration, "charging_stopped_early") is None


async def test_an_unplugged_car_raises_nothing(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    await _ready_by(hass)
    await sim.vehicle(VIN, action="unplug")
    await _until(hass, sim, freezer, 5)
    assert problems == []


async def test_a_car_that_leaves_the_account_takes_its_repair_and_a_new_one_is_watched(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    problems: list[Event],
) -> None:
    bought = "5YJ3E7EB0KF000009"
    car = SimVehicle.from_payload(
        load_fixture("ha_tesla_fleet_vehicle_data.json"),
        t=sim.world.now(),
        vin=bought,
        vehicle_id=100009,
        display_name="New Car",
    )
    sim.world.add_vehicle(sim.world.accounts[ACCOUNT_ID], car)
    await move_both_clocks(hass, sim, freezer, DISCOVERY_INTERVAL)  # listed again: found
    assert sorted(setup_integration.runtime_data.watchdogs) == sorted([VIN, bought])
    await sim.vehicle(VIN, action="hold")
    await _charging(hass, True)
    await _until(hass, sim, freezer, 0.25)
    assert _issue(hass, setup_integration, "charging_not_started") is not None
    sim.world.remove_vehicle(sim.world.accounts[ACCOUNT_ID], VIN)  # sold
    await move_both_clocks(hass, sim, freezer, DISCOVERY_INTERVAL)
    assert _issue(hass, setup_integration, "charging_not_started") is None
    assert list(setup_integration.runtime_data.watchdogs) == [bought]


class TestClocksGoForward:
    """29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC, in the grace time."""

    @pytest.fixture
    def clock(self, freezer: FrozenDateTimeFactory) -> FakeClock:
        start = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)  # 01:50 CET
        freezer.move_to(start)
        return FakeClock(start=start.timestamp())

    async def test_it_tells_once_after_a_quarter_of_an_hour(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        problems: list[Event],
    ) -> None:
        await sim.vehicle(VIN, action="hold")
        await _charging(hass, True)
        await _until(hass, sim, freezer, 10 / 60)  # 03:00 CEST: 10 minutes, not 70
        assert problems == []
        await _until(hass, sim, freezer, 5 / 60)  # 03:05 CEST
        assert _told(problems) == [("charging_not_started", "switch", True)]
        issue = _issue(hass, setup_integration, "charging_not_started")
        assert issue is not None
        assert issue.translation_placeholders == {"name": "Model 3", "since": "01:50"}
        await _until(hass, sim, freezer, 2)
        assert len(problems) == 1


class TestClocksGoBack:
    """25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC, in the grace time."""

    @pytest.fixture
    def clock(self, freezer: FrozenDateTimeFactory) -> FakeClock:
        start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # 00:00 CEST
        freezer.move_to(start)
        return FakeClock(start=start.timestamp())

    async def test_it_tells_once(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        problems: list[Event],
    ) -> None:
        # 50 % to 70 % by 04:00 CET (03:00 UTC) takes 2 h 15 with the margin: the window
        # opens at 00:45 UTC (02:45 CEST), and its 15 minutes of grace end as the clocks
        # go back (01:00 UTC, 02:00 CET).
        await hass.services.async_call(
            DOMAIN,
            "plan_charging",
            {"device_id": _device(hass), "target_soc": 70, "departure_time": "04:00"},
            blocking=True,
        )
        await sim.vehicle(VIN, action="pilot_current", amps=0)
        await _until(hass, sim, freezer, 6)
        assert [e.data["problem"] for e in problems] == ["charging_not_started"]
        assert problems[0].data["since"] == datetime(2026, 10, 25, 0, 45, tzinfo=UTC).isoformat()


def _device(hass: HomeAssistant) -> str:
    device = device_for(hass, (DOMAIN, VIN))
    assert device is not None
    return device.id


async def _send_plain(sim: SimulatorHandle, command: str, body: dict[str, Any]) -> None:
    """What the Tesla app does, straight to the car."""
    url = f"{sim.url}/api/1/vehicles/{VIN}/command/{command}"
    async with sim.admin.post(
        url, json=body, headers={"Authorization": f"Bearer {ACCESS_TOKEN}"}
    ) as response:
        assert response.status == 200, await response.text()


class TestRealto:
    """A re.alto EV whose plan's start fails at the manufacturer's cloud."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(
            realto_entity_spec(battery_level=50, capacity_kwh=36.8, amps=16, voltage=230, phases=1)
        )

    @pytest.fixture
    def entry_data(self, sim: SimulatorHandle) -> dict[str, Any]:
        return realto_entry_data(sim)

    async def test_a_failed_start_is_told_and_retried_once(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        problems: list[Event],
    ) -> None:
        await sim.call("POST", "/sim/realto/failures", {"type": "StartCharging", "stage": "confirm"})
        await _ready_by(hass, "id_4")
        await _until(hass, sim, freezer, 4)
        assert [(e.data["problem"], e.data["retried"]) for e in problems] == [("charging_not_started", True)]
        starts = [c for c in await realto_commands(sim) if c["type"] == "StartCharging"]
        assert [c["status"] for c in starts] == ["Failed", "Succeeded"]  # the plan's, then the retry
        await _until(hass, sim, freezer, 0.5)
        assert entity_state(hass, "binary_sensor.id_4_charging_measured") == "on"
        assert _issue(hass, setup_integration, "charging_not_started", ENTITY_ID) is None

    async def test_a_switch_start_that_failed_is_told_and_retried_once(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        problems: list[Event],
    ) -> None:
        await sim.call("POST", "/sim/realto/failures", {"type": "StartCharging", "stage": "confirm"})
        await _charging(hass, True, "id_4")
        await _until(hass, sim, freezer, 1)  # failed, told, retried and read charging
        assert _told(problems) == [("charging_not_started", "switch", True)]
        starts = [c for c in await realto_commands(sim) if c["type"] == "StartCharging"]
        assert [c["status"] for c in starts] == ["Failed", "Succeeded"]  # the switch's, then the retry
        assert entity_state(hass, "binary_sensor.id_4_charging_measured") == "on"
        assert _issue(hass, setup_integration, "charging_not_started", ENTITY_ID) is None
        # Stopped with the switch: no problem, nothing sent but the stop.
        await _charging(hass, False, "id_4")
        await _until(hass, sim, freezer, 2)
        assert len(problems) == 1
        assert [c["type"] for c in await realto_commands(sim)][len(starts) :] == ["StopCharging"]

    async def test_a_failed_start_learned_without_a_new_reading_is_no_stop(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        problems: list[Event],
    ) -> None:
        """The car sends no reading for a while: the failure comes with the reading
        already known, and the switch shows off again, as after a stop; the start is
        still expected, told and retried."""
        await sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"reporting": False})
        await sim.call("POST", "/sim/realto/failures", {"type": "StartCharging", "stage": "confirm"})
        await _charging(hass, True, "id_4")
        await _until(hass, sim, freezer, 10 / 60)
        assert entity_state(hass, "switch.id_4_charging") == "off"  # the start failed
        assert problems == []
        await _until(hass, sim, freezer, 20 / 60)
        assert _told(problems) == [("charging_not_started", "switch", True)]
        starts = [c for c in await realto_commands(sim) if c["type"] == "StartCharging"]
        assert [c["status"] for c in starts] == ["Failed", "Succeeded"]
        await sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"reporting": True, "reading": True})
        await _until(hass, sim, freezer, 0.25)
        assert entity_state(hass, "binary_sensor.id_4_charging_measured") == "on"
        assert _issue(hass, setup_integration, "charging_not_started", ENTITY_ID) is None
