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
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import DOMAIN
from custom_components.ev_charge_control.watchdog import EVENT_CHARGING_PROBLEM
from simulator import FakeClock

from ..helpers import (
    ACCESS_TOKEN,
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


async def _ready_by(hass: HomeAssistant, car: str = "model_3") -> None:
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: f"switch.{car}_ready_by_charging"}, blocking=True
    )


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
    assert [e.data["problem"] for e in problems] == ["charging_schedule_changed", "charging_not_started"]
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
