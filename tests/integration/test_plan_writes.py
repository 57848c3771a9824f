"""Writing a ready-by plan's windows into the car, through the set-up integration.

Below the planner: ``Vehicle.async_write_charge_plan`` as the coordinator runs it, and
what each kind of car receives, holds and does with it.

* A Model 3 on 2025 firmware taking signed commands only: one-time charge schedules.
* The same car on 2023 firmware over plain REST: the scheduled-charging start.
* A re.alto ID.4: a start and a stop command per window.

Every car charges 16 A on one 230 V phase into 36.8 kWh: 10 % an hour.  Home Assistant
and the cars are in Amsterdam; the clocks start on Friday 4 December 2026, 18:00.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.coordinator import VehicleCoordinator
from custom_components.ev_charge_control.helpers import handle_command_errors
from custom_components.ev_charge_control.tesla_schedules import PLAN_SCHEDULE_IDS
from custom_components.ev_charge_control.vehicle import ChargeWindow, PlanLimits
from simulator import FakeClock

from ..helpers import (
    ENTITY_ID,
    REALTO_TOKEN,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_entity_spec,
    realto_spec,
    vehicle_spec,
)
from .common import last_seq, move_both_clocks, realto_commands, realto_entry_data, sent_commands
from .signing_support import add_signing_entry, signed_log

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # Friday 18:00 in Amsterdam
FRIDAY, SATURDAY = date(2026, 12, 4), date(2026, 12, 5)
NEW_FIRMWARE = "2025.20.6 4c5ad9d1b3a0"
FRIDAY_BIT, SATURDAY_BIT, SUNDAY_BIT = 32, 64, 1
CAR = {"battery_level": 50, "charge_limit": 80, "capacity_kwh": 36.8, "timezone": "Europe/Amsterdam"}
EVENING = ChargeWindow(
    datetime(2026, 12, 4, 20, tzinfo=AMSTERDAM), datetime(2026, 12, 4, 21, tzinfo=AMSTERDAM)
)
NIGHT = ChargeWindow(
    datetime(2026, 12, 5, 3, tzinfo=AMSTERDAM), datetime(2026, 12, 5, 5, 30, tzinfo=AMSTERDAM)
)


def local(day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM, fold=fold)


def window(day: date, start: tuple[int, int], end_day: date, end: tuple[int, int]) -> ChargeWindow:
    return ChargeWindow(local(day, *start), local(end_day, *end))


@pytest.fixture
def start() -> datetime:
    return START


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory, start: datetime) -> FakeClock:
    freezer.move_to(start)
    return FakeClock(start=start.timestamp())


@pytest.fixture(autouse=True)
async def amsterdam(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Amsterdam")


async def write(coordinator: VehicleCoordinator, windows: Sequence[ChargeWindow]) -> None:
    """As the planner writes a plan: through the coordinator, errors translated."""
    async with handle_command_errors(coordinator):
        await coordinator.async_command(lambda: coordinator.vehicle.async_write_charge_plan(windows))


async def read_car(coordinator: VehicleCoordinator) -> None:
    """Read the car now (as homeassistant.update_entity does)."""
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()


async def read_woken(
    hass: HomeAssistant, coordinator: VehicleCoordinator, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """Read a car that may have fallen asleep (the owner opened the app, which wakes it),
    once the account's list of states says so (it is shared for half a minute)."""
    await sim.vehicle(action="state", state="online")
    await move_both_clocks(hass, sim, freezer, timedelta(seconds=31))
    await read_car(coordinator)


async def level(sim: SimulatorHandle, vin: str = VIN) -> float:
    return float((await sim.vehicle(vin))["battery_level_exact"])


async def run_until(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    """Both clocks to ``moment``, a quarter of an hour at a time (the polls run between)."""
    while (left := moment - datetime.now(UTC)) > timedelta(0):
        await move_both_clocks(hass, sim, freezer, min(left, timedelta(minutes=15)))


# ================================================================== Tesla, 2025
async def _schedules(sim: SimulatorHandle) -> dict[int, dict[str, Any]]:
    return {s.id: s.as_dict() for s in sim.world.vehicles[VIN].charge_schedules.values()}


def _times(schedules: dict[int, dict[str, Any]]) -> dict[int, tuple[int, int, int, bool, bool]]:
    """Each schedule's day, start, end, and whether it is one-time and on."""
    return {
        i: (s["days_of_week"], s["start_time"], s["end_time"], s["one_time"], s["enabled"])
        for i, s in schedules.items()
    }


async def app(sim: SimulatorHandle, command: str, **params: Any) -> None:
    """What the owner does in the Tesla app."""
    async with sim.admin.post(
        f"{sim.url}/sim/vehicles/{VIN}/app", json={"command": command, **params}
    ) as reply:
        assert reply.status == 200, await reply.text()
        assert (await reply.json())["result"] is True


OWN_SCHEDULE = {
    "id": 1_700_000_000,
    "days_of_week": "All",
    "enabled": True,
    "start_enabled": True,
    "start_time": 23 * 60,
    "end_enabled": False,
    "lat": 52.37,
    "lon": 4.89,
}
"""The owner's own daily schedule, set in the app."""


async def _commands(sim: SimulatorHandle, since: int) -> list[str]:
    """The commands the car received after ``since`` (signed ones, and any plain one;
    session handshakes left out)."""
    return [f"{kind}:{name}" for kind, name in await signed_log(sim, since) if kind in ("command", "rest")]


class TestChargeSchedules:
    """A signed Model 3 on 2025 firmware: the plan as one-time schedules."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(command_signing="required", firmware=NEW_FIRMWARE, **CAR))

    @pytest.fixture
    async def coordinator(
        self, hass: HomeAssistant, oauth_server: SimulatorHandle, sim: SimulatorHandle
    ) -> VehicleCoordinator:
        entry, _key = await add_signing_entry(hass, oauth_server, paired=(VIN,))
        await app(sim, "add_charge_schedule", **OWN_SCHEDULE)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        coordinator: VehicleCoordinator = entry.runtime_data.coordinators[VIN]
        return coordinator

    async def test_windows_become_one_time_schedules_and_only_changes_are_sent(
        self, hass: HomeAssistant, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        assert coordinator.vehicle.plan_limits == PlanLimits(max_windows=4)
        seq = await last_seq(sim)
        await write(coordinator, [EVENING, NIGHT])
        assert await _commands(sim, seq) == ["command:add_charge_schedule", "command:add_charge_schedule"]
        first, second = PLAN_SCHEDULE_IDS[:2]
        held = await _schedules(sim)
        assert _times(held) == {
            OWN_SCHEDULE["id"]: (127, 23 * 60, 0, False, True),
            first: (FRIDAY_BIT, 20 * 60, 21 * 60, True, True),
            second: (SATURDAY_BIT, 3 * 60, 5 * 60 + 30, True, True),
        }
        assert held[first]["name"] == "Home Assistant"
        assert (held[first]["latitude"], held[first]["longitude"]) == pytest.approx(
            (hass.config.latitude, hass.config.longitude), abs=1e-5
        )

        # The same plan again: nothing at all reaches the API.
        seq = await last_seq(sim)
        await write(coordinator, [EVENING, NIGHT])
        assert await sim.requests(since=seq) == []

        # The night window moves: that schedule is changed in place, the evening's stays.
        later = window(SATURDAY, (2, 0), SATURDAY, (4, 0))
        await write(coordinator, [EVENING, later])
        assert await _commands(sim, seq) == ["command:add_charge_schedule"]
        assert _times(await _schedules(sim))[second] == (SATURDAY_BIT, 2 * 60, 4 * 60, True, True)

        # One window fewer: the schedule left over goes; the owner's own one stays.
        seq = await last_seq(sim)
        await write(coordinator, [later])
        assert await _commands(sim, seq) == ["command:remove_charge_schedule"]
        assert set(await _schedules(sim)) == {OWN_SCHEDULE["id"], second}

        # Cleared: the plan's schedules go, nothing else.
        seq = await last_seq(sim)
        await write(coordinator, [])
        assert await _commands(sim, seq) == ["command:remove_charge_schedule"]
        assert set(await _schedules(sim)) == {OWN_SCHEDULE["id"]}
        seq = await last_seq(sim)
        await write(coordinator, [])
        assert await sim.requests(since=seq) == []

    async def test_a_window_that_ended_does_not_renumber_the_others(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await write(coordinator, [EVENING, NIGHT])
        await run_until(hass, sim, freezer, local(FRIDAY, 21, 30))
        # The car turned the evening's one-time schedule off after it ran.
        assert _times(await _schedules(sim))[PLAN_SCHEDULE_IDS[0]][4] is False
        seq = await last_seq(sim)
        await write(coordinator, [NIGHT])
        assert await sim.requests(since=seq) == []  # held as it is; the spent one is harmless
        # The next plan reuses the spent schedule rather than adding one.
        await write(coordinator, [NIGHT, window(SATURDAY, (6, 0), SATURDAY, (6, 30))])
        assert await _commands(sim, seq) == ["command:add_charge_schedule"]
        assert set(await _schedules(sim)) == {OWN_SCHEDULE["id"], *PLAN_SCHEDULE_IDS[:2]}

    async def test_the_car_charges_in_the_windows_only(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await app(sim, "remove_charge_schedule", id=OWN_SCHEDULE["id"])
        await write(coordinator, [EVENING, NIGHT])
        await run_until(hass, sim, freezer, local(FRIDAY, 19, 59))
        assert await level(sim) == pytest.approx(50, abs=0.2)
        await run_until(hass, sim, freezer, local(FRIDAY, 21))
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Stopped"
        assert await level(sim) == pytest.approx(60, abs=0.2)
        await run_until(hass, sim, freezer, local(SATURDAY, 3))
        assert await level(sim) == pytest.approx(60, abs=0.2)
        await run_until(hass, sim, freezer, local(SATURDAY, 7))
        assert await level(sim) == pytest.approx(80, abs=0.2)  # 2 h 30 at 10 %/h, capped by the limit

    async def test_a_window_across_midnight_ends_the_next_day(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await app(sim, "remove_charge_schedule", id=OWN_SCHEDULE["id"])
        await write(coordinator, [window(FRIDAY, (23, 30), SATURDAY, (1, 0))])
        assert _times(await _schedules(sim)) == {
            PLAN_SCHEDULE_IDS[0]: (FRIDAY_BIT, 23 * 60 + 30, 60, True, True)
        }
        await run_until(hass, sim, freezer, local(SATURDAY, 2))
        assert await level(sim) == pytest.approx(65, abs=0.2)

    async def test_a_day_long_window_is_a_start_only(
        self, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        await write(coordinator, [window(FRIDAY, (20, 0), SATURDAY, (21, 0))])
        schedule = (await _schedules(sim))[PLAN_SCHEDULE_IDS[0]]
        assert (schedule["start_time"], schedule["end_enabled"]) == (20 * 60, False)

    async def test_a_change_in_the_app_is_seen_once_the_car_is_read(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        vehicle = coordinator.vehicle
        assert vehicle.charge_plan_intact() is None  # nothing written
        await write(coordinator, [EVENING, NIGHT])
        assert vehicle.charge_plan_intact() is None  # not read since
        await read_car(coordinator)
        assert vehicle.charge_plan_intact() is True
        # The evening runs; the car turns that one-time schedule off: still intact.
        await run_until(hass, sim, freezer, local(FRIDAY, 21, 15))
        await read_woken(hass, coordinator, sim, freezer)
        assert _times(await _schedules(sim))[PLAN_SCHEDULE_IDS[0]][4] is False
        assert vehicle.charge_plan_intact() is True
        # In the app, the owner moves the night window (the app edits it, same id).
        edited = {
            **OWN_SCHEDULE,
            "id": PLAN_SCHEDULE_IDS[1],
            "days_of_week": "Sat",
            "start_time": 60,
            "end_enabled": True,
            "end_time": 330,
            "one_time": True,
        }
        await app(sim, "add_charge_schedule", **edited)
        assert vehicle.charge_plan_intact() is True  # not known before the car is read
        await read_woken(hass, coordinator, sim, freezer)
        assert vehicle.charge_plan_intact() is False
        # Written again: the schedule is changed back, and intact once read.
        seq = await last_seq(sim)
        await write(coordinator, [NIGHT])
        assert await _commands(sim, seq) == ["command:add_charge_schedule"]
        assert _times(await _schedules(sim))[PLAN_SCHEDULE_IDS[1]] == (SATURDAY_BIT, 180, 330, True, True)
        await read_car(coordinator)
        assert vehicle.charge_plan_intact() is True
        # Removed in the app.
        await app(sim, "remove_charge_schedule", id=PLAN_SCHEDULE_IDS[1])
        await read_woken(hass, coordinator, sim, freezer)
        assert vehicle.charge_plan_intact() is False
        # Once the window has ended, nothing is left to hold.
        await run_until(hass, sim, freezer, local(SATURDAY, 6))
        assert vehicle.charge_plan_intact() is None

    async def test_after_a_restart_the_windows_are_found_by_their_times(
        self, hass: HomeAssistant, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        await write(coordinator, [EVENING, NIGHT])
        entry = coordinator.config_entry
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        restarted: VehicleCoordinator = entry.runtime_data.coordinators[VIN]
        restarted.vehicle.restore_charge_plan([EVENING, NIGHT])  # as the planner does
        seq = await last_seq(sim)
        await write(restarted, [NIGHT, EVENING])  # in another order, even
        assert await _commands(sim, seq) == []
        await read_car(restarted)
        assert restarted.vehicle.charge_plan_intact() is True

    async def test_more_windows_than_the_car_holds_are_refused_before_anything_is_sent(
        self, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        windows = [window(SATURDAY, (hour, 0), SATURDAY, (hour, 30)) for hour in range(1, 6)]
        seq = await last_seq(sim)
        with pytest.raises(HomeAssistantError, match="at most 4 charging windows; the plan has 5"):
            await write(coordinator, windows)
        assert await sim.requests(since=seq) == []


class TestAcrossAChangeOfTheClocks:
    """The night the clocks change: a window is held as its local start and end, and the
    car charges the real time between them."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        car = {**CAR, "battery_level": 30}  # four hours at 10 %/h stay below the limit
        return account_spec(vehicle_spec(command_signing="required", firmware=NEW_FIRMWARE, **car))

    @pytest.fixture(params=["march", "october"])
    def night(self, request: pytest.FixtureRequest) -> tuple[date, int]:
        """The Sunday the clocks change, and the hours from 01:00 to 04:00 that night."""
        return (date(2026, 3, 29), 2) if request.param == "march" else (date(2026, 10, 25), 4)

    @pytest.fixture
    def start(self, night: tuple[date, int]) -> datetime:
        return local(night[0] - timedelta(days=1), 18)

    async def test_the_car_charges_the_real_hours_between_its_local_times(
        self,
        hass: HomeAssistant,
        oauth_server: SimulatorHandle,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        night: tuple[date, int],
    ) -> None:
        entry, _key = await add_signing_entry(hass, oauth_server, paired=(VIN,))
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        coordinator: VehicleCoordinator = entry.runtime_data.coordinators[VIN]
        sunday, hours = night
        plan = ChargeWindow(local(sunday, 1), local(sunday, 4))
        assert plan.end.astimezone(UTC) - plan.start.astimezone(UTC) == timedelta(hours=hours)
        await write(coordinator, [plan])
        assert _times(await _schedules(sim)) == {PLAN_SCHEDULE_IDS[0]: (SUNDAY_BIT, 60, 240, True, True)}
        await run_until(hass, sim, freezer, local(sunday, 5))
        assert await level(sim) == pytest.approx(30 + 10 * hours, abs=0.2)
        await read_woken(hass, coordinator, sim, freezer)
        assert coordinator.vehicle.charge_plan_intact() is None  # ran and ended


class TestAsleepSinceStartUp:
    """Which kind the car is is not known until it is read: one window, which both hold."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(
            vehicle_spec(command_signing="required", firmware=NEW_FIRMWARE, state="asleep", **CAR)
        )

    async def test_one_window_until_known_then_written_as_a_schedule(
        self, hass: HomeAssistant, oauth_server: SimulatorHandle, sim: SimulatorHandle
    ) -> None:
        entry, _key = await add_signing_entry(hass, oauth_server, paired=(VIN,))
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        coordinator: VehicleCoordinator = entry.runtime_data.coordinators[VIN]
        assert (await sim.vehicle())["state"] == "asleep"
        assert coordinator.vehicle.plan_limits == PlanLimits(max_windows=1, ends_at_limit=True)
        await write(coordinator, [EVENING])
        assert _times(await _schedules(sim)) == {
            PLAN_SCHEDULE_IDS[0]: (FRIDAY_BIT, 20 * 60, 21 * 60, True, True)
        }
        assert coordinator.vehicle.plan_limits == PlanLimits(max_windows=4)


# ================================================================== Tesla, 2023
class TestScheduledChargingStart:
    """The fixture's Model 3 on 2023 firmware over plain REST: the plan's start as the
    car's scheduled-charging start; it charges from then to its limit."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(**CAR))

    @pytest.fixture
    def coordinator(self, setup_integration: MockConfigEntry) -> VehicleCoordinator:
        coordinator: VehicleCoordinator = setup_integration.runtime_data.coordinators[VIN]
        return coordinator

    async def test_the_start_is_written_once_and_turned_off_when_cleared(
        self, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        assert coordinator.vehicle.plan_limits == PlanLimits(max_windows=1, ends_at_limit=True)
        seq = await last_seq(sim)
        await write(coordinator, [EVENING])
        assert sent_commands(await sim.requests(since=seq)) == [
            ("set_scheduled_charging", {"enable": True, "time": 20 * 60})
        ]
        await read_car(coordinator)
        seq = await last_seq(sim)
        await write(coordinator, [EVENING])
        assert await sim.requests(since=seq) == []
        await write(coordinator, [window(FRIDAY, (22, 15), SATURDAY, (1, 0))])
        assert sent_commands(await sim.requests(since=seq)) == [
            ("set_scheduled_charging", {"enable": True, "time": 22 * 60 + 15})
        ]
        seq = await last_seq(sim)
        await write(coordinator, [])
        assert sent_commands(await sim.requests(since=seq)) == [
            ("set_scheduled_charging", {"enable": False, "time": 22 * 60 + 15})
        ]
        assert (await sim.vehicle())["charge_state"]["scheduled_charging_mode"] == "Off"
        with pytest.raises(HomeAssistantError, match="at most 1 charging windows; the plan has 2"):
            await write(coordinator, [EVENING, NIGHT])

    async def test_the_owners_own_start_is_left_alone(
        self, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        await app(sim, "set_scheduled_charging", enable=True, time=60)
        await read_car(coordinator)
        seq = await last_seq(sim)
        await write(coordinator, [])  # nothing was written: nothing to remove
        assert await sim.requests(since=seq) == []
        # A plan written, then the time changed in the app: clearing leaves the owner's time.
        await write(coordinator, [EVENING])
        await app(sim, "set_scheduled_charging", enable=True, time=90)
        await read_car(coordinator)
        assert coordinator.vehicle.charge_plan_intact() is False
        seq = await last_seq(sim)
        await write(coordinator, [])
        assert sent_commands(await sim.requests(since=seq)) == []
        assert (await sim.vehicle())["charge_state"]["scheduled_charging_start_time_minutes"] == 90

    async def test_the_car_charges_from_the_start_to_its_limit(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        await write(coordinator, [EVENING])
        await read_car(coordinator)  # the confirmation, 15 s later
        assert coordinator.vehicle.charge_plan_intact() is True
        await run_until(hass, sim, freezer, local(FRIDAY, 19, 59))
        assert await level(sim) == pytest.approx(50, abs=0.2)
        await run_until(hass, sim, freezer, local(FRIDAY, 21))
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Charging"  # on to the limit
        await run_until(hass, sim, freezer, local(FRIDAY, 23, 30))
        assert (await sim.vehicle())["charge_state"]["charging_state"] == "Complete"
        assert await level(sim) == pytest.approx(80, abs=0.2)


# ===================================================================== re.alto
def _pending(commands: list[dict[str, Any]]) -> list[tuple[str, datetime]]:
    return sorted(
        (c["type"], datetime.fromisoformat(c["triggerTime"].replace("Z", "+00:00")))
        for c in commands
        if c["status"] == "Pending"
    )


def _window_commands(plan: ChargeWindow) -> list[tuple[str, datetime]]:
    return [("StartCharging", plan.start.astimezone(UTC)), ("StopCharging", plan.end.astimezone(UTC))]


class TestRealtoWindows:
    """The ID.4 on re.alto: each window a start and a stop command."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(
            realto_entity_spec(battery_level=50, capacity_kwh=36.8, amps=16, voltage=230, phases=1),
            cooldown={"mode": "reject", "status": 409, "seconds": 600},
        )

    @pytest.fixture
    def entry_data(self, sim: SimulatorHandle) -> dict[str, Any]:
        return realto_entry_data(sim)

    @pytest.fixture
    def coordinator(self, setup_integration: MockConfigEntry) -> VehicleCoordinator:
        coordinator: VehicleCoordinator = setup_integration.runtime_data.coordinators[ENTITY_ID]
        return coordinator

    async def test_a_new_plan_cancels_only_its_own_commands(
        self, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        assert coordinator.vehicle.plan_limits == PlanLimits(max_windows=3, min_gap=timedelta(minutes=10))
        own = window(FRIDAY, (22, 0), FRIDAY, (22, 30))
        await coordinator.async_command(
            lambda: coordinator.vehicle.async_schedule_charging(own.start, own.end, ignore_cooldown=False)
        )
        await write(coordinator, [EVENING, NIGHT])
        assert _pending(await realto_commands(sim)) == sorted(
            _window_commands(own) + _window_commands(EVENING) + _window_commands(NIGHT)
        )
        evening_ids = {c["id"] for c in await realto_commands(sim) if c["status"] == "Pending"}

        # The same plan again: not a request.
        seq = await last_seq(sim)
        await write(coordinator, [EVENING, NIGHT])
        assert await sim.requests(api="realto", since=seq) == []

        # The evening moves 5 minutes (inside the old one's cooldown, which its cancel
        # lifts); the night stays as scheduled.
        moved = window(FRIDAY, (20, 5), FRIDAY, (21, 5))
        await write(coordinator, [moved, NIGHT])
        commands = await realto_commands(sim)
        assert _pending(commands) == sorted(
            _window_commands(own) + _window_commands(moved) + _window_commands(NIGHT)
        )
        canceled = sorted((c["type"], c["triggerTime"]) for c in commands if c["status"] == "Canceled")
        assert canceled == [
            ("StartCharging", "2026-12-04T19:00:00Z"),
            ("StopCharging", "2026-12-04T20:00:00Z"),
        ]
        night_ids = {
            c["id"] for c in commands if c["status"] == "Pending" and c["triggerTime"] >= "2026-12-05"
        }
        assert night_ids <= evening_ids  # the very commands written first

        # Cleared: the plan's commands are cancelled, the owner's window stays.
        await write(coordinator, [])
        assert _pending(await realto_commands(sim)) == _window_commands(own)
        seq = await last_seq(sim)
        await write(coordinator, [])
        assert await sim.requests(api="realto", since=seq) == []

    async def test_the_car_charges_in_the_windows_and_stops_at_their_ends(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        across_midnight = window(FRIDAY, (23, 30), SATURDAY, (0, 30))
        await write(coordinator, [EVENING, across_midnight])
        car = sim.world.realto.entities[ENTITY_ID].vehicle
        await run_until(hass, sim, freezer, local(FRIDAY, 19, 59))
        assert car.battery_level == pytest.approx(50, abs=0.2)
        await run_until(hass, sim, freezer, local(FRIDAY, 21, 15))
        assert not car.charging
        assert car.battery_level == pytest.approx(60, abs=0.2)
        await run_until(hass, sim, freezer, local(SATURDAY, 1))
        assert not car.charging
        assert car.battery_level == pytest.approx(70, abs=0.2)

    async def test_a_window_that_has_begun_is_held_as_its_stop_and_started_now(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        now = local(FRIDAY, 18)
        running = ChargeWindow(now, local(FRIDAY, 19))
        await write(coordinator, [running])
        assert _pending(await realto_commands(sim)) == [("StopCharging", local(FRIDAY, 19).astimezone(UTC))]
        # Starting now, as the planner does, meets no cooldown of the plan's own.
        await coordinator.async_command(coordinator.vehicle.async_start_charging)
        # A minute later the planner's window begins "now" again: the same window.
        await move_both_clocks(hass, sim, freezer, timedelta(minutes=5))
        seq = await last_seq(sim)
        await write(coordinator, [ChargeWindow(local(FRIDAY, 18, 5), local(FRIDAY, 19))])
        assert await sim.requests(api="realto", since=seq) == []
        await run_until(hass, sim, freezer, local(FRIDAY, 19, 15))
        car = sim.world.realto.entities[ENTITY_ID].vehicle
        assert not car.charging
        assert car.battery_level == pytest.approx(60, abs=0.2)

    async def test_no_plan_command_goes_inside_a_cooldown(
        self, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        # Charging started by hand now: nothing before 18:10, refused here, not sent.
        await coordinator.async_command(coordinator.vehicle.async_start_charging)
        seq = await last_seq(sim)
        with pytest.raises(HomeAssistantError):
            await write(coordinator, [window(FRIDAY, (18, 5), FRIDAY, (19, 0))])
        assert await sim.requests(api="realto", since=seq) == []
        # The owner's window ends at 22:30: a plan window from 22:35 is the platform's to
        # refuse (it knows every command), and it creates nothing.
        own = window(FRIDAY, (22, 0), FRIDAY, (22, 30))
        await coordinator.async_command(
            lambda: coordinator.vehicle.async_schedule_charging(own.start, own.end, ignore_cooldown=False)
        )
        with pytest.raises(HomeAssistantError):
            await write(coordinator, [EVENING, window(FRIDAY, (22, 35), FRIDAY, (23, 30))])
        now_started = [("StartCharging", START)]  # the start by hand, still on its way
        assert _pending(await realto_commands(sim)) == sorted(
            now_started + _window_commands(own) + _window_commands(EVENING)
        )
        # The evening, scheduled before the refusal, is the plan's: a plan without the
        # late window is what the platform holds, and nothing is sent.
        seq = await last_seq(sim)
        await write(coordinator, [EVENING])
        assert await sim.requests(api="realto", since=seq) == []
        await write(coordinator, [])
        assert _pending(await realto_commands(sim)) == sorted(now_started + _window_commands(own))

    async def test_a_plan_command_cancelled_elsewhere_is_seen(
        self,
        hass: HomeAssistant,
        coordinator: VehicleCoordinator,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        vehicle = coordinator.vehicle
        await write(coordinator, [EVENING, NIGHT])
        assert vehicle.charge_plan_intact() is None
        await read_car(coordinator)
        assert vehicle.charge_plan_intact() is True
        # The re.alto app (another client of the platform) cancels the night's start.
        start = next(
            c
            for c in await realto_commands(sim)
            if c["type"] == "StartCharging" and c["triggerTime"] > "2026-12-05"
        )
        url = f"{sim.url}/api/v1/entities/{ENTITY_ID}/commands/{start['id']}/cancel"
        async with sim.admin.patch(url, headers={"Authorization": f"Bearer {REALTO_TOKEN}"}) as reply:
            assert reply.status == 200, await reply.text()
        # Seen when the command is followed, from its trigger time.
        await run_until(hass, sim, freezer, local(SATURDAY, 2, 55))
        assert vehicle.charge_plan_intact() is True
        await run_until(hass, sim, freezer, local(SATURDAY, 3, 15))
        assert vehicle.charge_plan_intact() is False
        # Written again, the window that has begun is held by its stop, still waiting.
        seq = await last_seq(sim)
        await write(coordinator, [ChargeWindow(local(SATURDAY, 3, 15), NIGHT.end)])
        assert [r["method"] for r in await sim.requests(api="realto", since=seq)] == ["GET"]  # looked, kept
        await read_car(coordinator)
        assert vehicle.charge_plan_intact() is True

    async def test_a_plan_restored_after_a_restart_is_found_by_its_times(
        self, hass: HomeAssistant, coordinator: VehicleCoordinator, sim: SimulatorHandle
    ) -> None:
        own = window(FRIDAY, (22, 0), FRIDAY, (22, 30))
        await coordinator.async_command(
            lambda: coordinator.vehicle.async_schedule_charging(own.start, own.end, ignore_cooldown=False)
        )
        await write(coordinator, [EVENING, NIGHT])
        entry = coordinator.config_entry
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        restarted: VehicleCoordinator = entry.runtime_data.coordinators[ENTITY_ID]
        restarted.vehicle.restore_charge_plan([EVENING, NIGHT])
        await write(restarted, [NIGHT])
        assert _pending(await realto_commands(sim)) == sorted(_window_commands(own) + _window_commands(NIGHT))
