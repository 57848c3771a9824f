"""re.alto under the faults a fault matrix misses: lost answers, a status that cannot be
read, a command that never ends, odd statuses and values, windows that collide.

Each test started as a reliability review's adversarial test (which failed); it now
states the behaviour that holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, override

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_charge_control.api.realto import CommandType, RealtoClient, ScheduledCommand
from custom_components.ev_charge_control.api.realto.const import DEFAULT_TIMEOUT
from custom_components.ev_charge_control.const import DOMAIN
from custom_components.ev_charge_control.realto import (
    FOLLOW_DEADLINE,
    FOLLOW_INTERVAL,
    READING_INTERVAL,
    SLOW_FOLLOW_INTERVAL,
)

from ..helpers import (
    ENTITY_ID,
    REALTO_CLIENT_ID,
    REALTO_SECRET,
    SimulatorHandle,
    realto_entity_spec,
    realto_spec,
)
from . import fault_matrix
from .common import device_for, entity_state, move_both_clocks, realto_commands, realto_entry_data

SWITCH = "switch.id_4_charging"
BATTERY = "sensor.id_4_battery"
RANGE = "sensor.id_4_range"
LAST = "sensor.id_4_last_command"
STATUS_GET = r"/commands/[^/]+$"


class Driver(fault_matrix.Driver):
    """Runs a user's action; a request whose answer the simulator keeps back (``hang``,
    ``drop_reply``) ends when the client's own timeout passes on the frozen clock."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: SimulatorHandle) -> None:
        super().__init__(hass, freezer, sim, timeout=DEFAULT_TIMEOUT, sim_time=True)

    @override
    def _hung(self) -> int:
        return sum(f.hits for f in self.sim.world.faults.faults if f.kind in ("hang", "drop_reply"))


@pytest.fixture(autouse=True)
def _frozen_before_set_up(request: pytest.FixtureRequest) -> None:
    """A test that moves the clock has it frozen before the entry is set up.

    Frozen afterwards, the set-up's first poll timer (on the real clock) is due at
    once and its poll is under way when the test starts; on newer Home Assistant (2026.10)
    a scheduled poll holds the coordinator's refresh lock, so a refresh asked for
    meanwhile (a command's confirmation) waits out the debouncer's cooldown.
    """
    if "freezer" in request.fixturenames:
        request.getfixturevalue("freezer")


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(realto_entity_spec())


@pytest.fixture
def entry_data(sim: SimulatorHandle) -> dict[str, Any]:
    return realto_entry_data(sim)


def _device(hass: HomeAssistant) -> str:
    device = device_for(hass, (DOMAIN, ENTITY_ID))
    assert device is not None
    return device.id


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _schedule(hass: HomeAssistant, start: datetime, end: datetime) -> None:
    data = {"device_id": _device(hass), "start": start.isoformat(), "end": end.isoformat()}
    await hass.services.async_call(DOMAIN, "schedule_charging", data, blocking=True)


async def _status_gets(sim: SimulatorHandle) -> int:
    """Requests for one command's status."""
    requests = await sim.requests(api="realto")
    return sum(r["method"] == "GET" and "/commands/" in r["path"] for r in requests)


def _coordinator(entry: MockConfigEntry) -> Any:
    return entry.runtime_data.coordinators[ENTITY_ID]


# ------------------------------------------------------------- F1: windows
async def test_a_refused_window_leaves_the_earlier_window_alone(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    """Window A is scheduled; window B starts when A ends and is refused (409).

    The refusal created nothing, so nothing is canceled: A keeps its stop.
    """
    start_a = (dt_util.utcnow() + timedelta(hours=3)).replace(microsecond=0)
    end_a = start_a + timedelta(hours=3)
    await _schedule(hass, start_a, end_a)
    with pytest.raises(HomeAssistantError) as err:
        await _schedule(hass, end_a, end_a + timedelta(hours=2))
    assert err.value.translation_key == "cooldown_active"
    commands = [(c["type"], c["triggerTime"], c["status"]) for c in await realto_commands(sim)]
    assert commands == [
        ("StartCharging", _iso(start_a), "Pending"),
        ("StopCharging", _iso(end_a), "Pending"),
    ]


async def test_a_half_failed_window_cancels_only_its_own_commands(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    """The platform fails window B's start (A's stop is at that time) and keeps B's stop.

    B's stop is canceled, by id; A's stop, at the very time B's start was asked for,
    stays.
    """
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "fail"})
    start_a = (dt_util.utcnow() + timedelta(hours=3)).replace(microsecond=0)
    end_a = start_a + timedelta(hours=3)
    end_b = end_a + timedelta(hours=2)
    await _schedule(hass, start_a, end_a)
    with pytest.raises(HomeAssistantError) as err:
        await _schedule(hass, end_a, end_b)
    assert err.value.translation_key == "cooldown_active"
    commands = [(c["type"], c["triggerTime"], c["status"]) for c in await realto_commands(sim)]
    assert commands == [
        ("StartCharging", _iso(start_a), "Pending"),
        ("StopCharging", _iso(end_a), "Pending"),
        ("StartCharging", _iso(end_a), "Failed"),
        ("StopCharging", _iso(end_b), "Canceled"),
    ]


@pytest.mark.parametrize("mode", ["reject", "fail", "defer"])
async def test_the_same_window_twice_keeps_the_first(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, mode: str
) -> None:
    """An automation that schedules tonight's window twice: the window stands, once.

    However the platform answers the second request (refused, failed, deferred), the
    user's window is kept, no second window is left behind, and the call succeeds.
    """
    await sim.call("POST", "/sim/realto/cooldown", {"mode": mode})
    start = (dt_util.utcnow() + timedelta(hours=3)).replace(microsecond=0)
    end = start + timedelta(hours=3)
    await _schedule(hass, start, end)
    first = [c["id"] for c in await realto_commands(sim)]
    await _schedule(hass, start, end)
    live = [c for c in await realto_commands(sim) if c["status"] not in ("Canceled", "Failed")]
    assert [c["id"] for c in live] == first
    assert [(c["type"], c["triggerTime"], c["status"]) for c in live] == [
        ("StartCharging", _iso(start), "Pending"),
        ("StopCharging", _iso(end), "Pending"),
    ]
    assert entity_state(hass, LAST) == "pending"


# --------------------------------------------------- F3: following commands
async def test_a_status_that_cannot_be_read_keeps_the_car_and_its_reading(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The reading works; only the followed command's GET fails (500). The car stays
    available with fresh readings, and once the status answers the command is followed
    to its end."""
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await sim.fault(api="realto", kind="server_error", method="GET", path=STATUS_GET)
    await sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"action": "battery_level", "level": 61})
    await move_both_clocks(hass, sim, freezer, READING_INTERVAL)
    coordinator = _coordinator(setup_integration)
    assert coordinator.last_update_success
    assert int(entity_state(hass, BATTERY)) >= 61  # a reading taken after the command
    assert entity_state(hass, SWITCH) == STATE_ON
    assert entity_state(hass, LAST) == "pending"
    await sim.call("DELETE", "/sim/faults")
    await move_both_clocks(
        hass, sim, freezer, SLOW_FOLLOW_INTERVAL
    )  # running for 10 minutes: asked less often
    assert entity_state(hass, LAST) == "succeeded"
    assert entity_state(hass, SWITCH) == STATE_ON


async def test_a_command_the_platform_no_longer_knows_is_dropped_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 404 for the followed command: asked once, then no more; the car stays
    available, the last command reads as unknown (its kind kept), the switch shows
    what the car reports."""
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await sim.fault(
        api="realto", kind="not_found", method="GET", path=STATUS_GET, body={"title": "Not Found"}
    )
    await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL + timedelta(seconds=1))
    assert _coordinator(setup_integration).last_update_success
    assert entity_state(hass, BATTERY) == "50"
    assert entity_state(hass, LAST) == STATE_UNKNOWN
    attributes = hass.states.get(LAST).attributes  # type: ignore[union-attr]
    assert attributes["command"] == "start_charging"
    assert entity_state(hass, SWITCH) == STATE_OFF  # the last reading, taken before the command
    asked = await _status_gets(sim)
    for _ in range(3):
        await move_both_clocks(hass, sim, freezer, READING_INTERVAL)
    assert await _status_gets(sim) == asked
    assert _coordinator(setup_integration).last_update_success
    assert entity_state(hass, SWITCH) == STATE_ON  # the car did start; readings say so now


async def test_an_answer_without_a_command_id_is_reported_and_polling_goes_on(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 201 whose body has no id: the command is looked for on the platform; it is not
    there, so the user is told, and polling is not broken by an id it cannot follow."""
    await sim.fault(
        api="realto",
        kind="status",
        status=201,
        method="POST",
        path=r"/commands$",
        count=1,
        body={"title": "Accepted", "detail": "queued"},
    )
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert err.value.translation_key == "command_failed"
    lookups = [
        r
        for r in await sim.requests(api="realto")
        if r["method"] == "GET" and r["path"].endswith("/commands")
    ]
    assert len(lookups) == 1
    coordinator = _coordinator(setup_integration)
    for _ in range(3):
        freezer.tick(timedelta(minutes=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.last_update_success
    assert entity_state(hass, SWITCH) == STATE_OFF
    assert await _status_gets(sim) == 0


async def test_a_rate_limited_status_keeps_the_values_and_waits(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 on the status: the poll keeps what it knows and asks again after
    Retry-After; the command is still followed."""
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await sim.fault(api="realto", kind="rate_limit", retry_after=120, method="GET", path=STATUS_GET)
    await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL + timedelta(seconds=1))
    coordinator = _coordinator(setup_integration)
    assert coordinator.last_update_success
    assert coordinator.update_interval == timedelta(seconds=120)
    assert entity_state(hass, SWITCH) == STATE_ON
    await sim.call("DELETE", "/sim/faults")
    await move_both_clocks(hass, sim, freezer, timedelta(seconds=121))
    assert entity_state(hass, LAST) == "succeeded"


# ------------------------------------------------------- F4: a deadline
async def test_a_command_that_never_ends_is_given_up_and_polled_ever_less(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The platform keeps a command in Sent for good (an OEM that never confirms).

    It is followed every 30 s, then every 2 min, then every 5 min; after the deadline
    it is reported as timed out, the switch shows what the car reports, and the
    command is asked about no more.
    """
    await sim.call("POST", "/sim/realto/lifecycle", {"confirm_delay": 10 * 86400})
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    coordinator = _coordinator(setup_integration)
    intervals = []
    for _ in range(24):  # 12 minutes
        await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL)
        intervals.append(coordinator.update_interval)
    assert intervals[0] == FOLLOW_INTERVAL
    assert timedelta(minutes=2) in intervals
    assert intervals[-1] == SLOW_FOLLOW_INTERVAL
    assert entity_state(hass, SWITCH) == STATE_ON
    assert entity_state(hass, LAST) == "sent"
    # 12 minutes so far; the deadline, and the slow poll that notices it, come next.
    for _ in range(
        ((FOLLOW_DEADLINE + SLOW_FOLLOW_INTERVAL) - timedelta(minutes=12)) // SLOW_FOLLOW_INTERVAL + 1
    ):
        await move_both_clocks(hass, sim, freezer, SLOW_FOLLOW_INTERVAL)
    assert entity_state(hass, LAST) == "timed_out"
    assert entity_state(hass, SWITCH) == STATE_OFF  # the car never started
    assert coordinator.update_interval == READING_INTERVAL
    asked = await _status_gets(sim)
    for _ in range(6):
        await move_both_clocks(hass, sim, freezer, timedelta(hours=1))
    assert await _status_gets(sim) == asked
    assert entity_state(hass, LAST) == "timed_out"
    assert entity_state(hass, SWITCH) == STATE_OFF


# ----------------------------------------------------- F5: odd statuses
async def test_a_status_the_platform_adds_later_shows_as_pending(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle
) -> None:
    """A command answered as ``Queued`` (not a status this integration knows): the
    action succeeds, the sensor shows pending and the platform's word."""
    now = dt_util.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    await sim.fault(
        api="realto",
        kind="status",
        status=201,
        method="POST",
        path=r"/commands$",
        count=1,
        body={
            "id": "cmd-1",
            "entityId": ENTITY_ID,
            "type": "StartCharging",
            "status": "Queued",
            "triggerTime": now,
        },
    )
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert entity_state(hass, LAST) == "pending"
    attributes = hass.states.get(LAST).attributes  # type: ignore[union-attr]
    assert attributes["platform_status"] == "Queued"
    assert entity_state(hass, SWITCH) == STATE_ON


# -------------------------------------------------- F13: odd values
@pytest.mark.parametrize("soc", ["NaN", "Infinity", '"NaN"', '"inf"', "1e400"])
async def test_a_state_of_charge_that_is_no_number_leaves_the_poll_whole(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle, soc: str
) -> None:
    """The battery level reads as not reported (the last value stays); the reading's
    other metrics are read, and the poll works."""
    now = dt_util.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (
        '{"id": "r1", "measured": "'
        + now
        + '", "data": {"stateOfCharge": {"value": '
        + soc
        + ', "unit": "%"},'
        ' "range": {"value": 123, "unit": "km"}, "isCharging": true}}'
    )
    await sim.fault(
        api="realto",
        kind="status",
        status=200,
        path="/readings/last$",
        body=body,
        content_type="application/json",
    )
    coordinator = _coordinator(setup_integration)
    await coordinator.async_refresh()
    assert coordinator.last_update_success, coordinator.last_exception
    assert entity_state(hass, BATTERY) == "50"
    assert float(entity_state(hass, RANGE)) == 123.0
    assert entity_state(hass, SWITCH) == STATE_ON


@pytest.mark.parametrize(
    ("metrics", "battery", "range_km"),
    [
        (
            '"stateOfCharge": {"value": 250, "unit": "%"}, "range": {"value": 10, "unit": "km"}',
            STATE_UNKNOWN,
            "10.0",
        ),
        (
            '"stateOfCharge": {"value": 40, "unit": "%"}, "range": {"value": -5, "unit": "km"}',
            "40",
            STATE_UNKNOWN,
        ),
        (
            '"stateOfCharge": {"value": 40, "unit": "%"}, "range": {"value": 1.5e308, "unit": "mi"}',
            "40",
            STATE_UNKNOWN,
        ),
    ],
)
async def test_a_value_out_of_range_reads_as_unknown(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    metrics: str,
    battery: str,
    range_km: str,
) -> None:
    now = dt_util.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    body = '{"id": "r1", "measured": "' + now + '", "data": {' + metrics + "}}"
    await sim.fault(
        api="realto",
        kind="status",
        status=200,
        path="/readings/last$",
        body=body,
        content_type="application/json",
    )
    coordinator = _coordinator(setup_integration)
    await coordinator.async_refresh()
    assert coordinator.last_update_success, coordinator.last_exception
    assert entity_state(hass, BATTERY) == battery
    assert entity_state(hass, RANGE) == range_km


# ----------------------------------------------- F9: lost answers
async def test_a_command_whose_answer_was_lost_is_found_and_followed(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The platform created the command, the answer never came: the command is looked
    up, followed and shown, and not sent again."""
    await sim.fault(api="realto", kind="drop_reply", method="POST", path=r"/commands$")
    driver = Driver(hass, freezer, sim)
    await driver.run(hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True))
    (command,) = await realto_commands(sim)
    assert command["type"] == "StartCharging"
    assert entity_state(hass, SWITCH) == STATE_ON
    assert entity_state(hass, LAST) == "succeeded"  # it ran while the answer was awaited
    await driver.settle()
    for _ in range(2):
        await move_both_clocks(hass, sim, freezer, FOLLOW_INTERVAL)
    assert entity_state(hass, SWITCH) == STATE_ON
    assert len(await realto_commands(sim)) == 1


async def test_a_command_that_never_arrived_is_reported(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    """The connection dropped before the platform had the command: it is looked for,
    not found, and the user is told; nothing is sent again."""
    await sim.fault(api="realto", kind="disconnect", method="POST", path=r"/commands$")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    assert err.value.translation_key == "cannot_connect"
    assert await realto_commands(sim) == []
    posts = [
        r for r in await sim.requests(api="realto") if r["method"] == "POST" and "/commands" in r["path"]
    ]
    assert len(posts) == 1
    assert entity_state(hass, SWITCH) == STATE_OFF


async def test_a_window_whose_answer_was_lost_is_found(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    await sim.fault(api="realto", kind="drop_reply", method="POST", path=r"/schedule$")
    start = (dt_util.utcnow() + timedelta(hours=3)).replace(microsecond=0)
    await Driver(hass, freezer, sim).run(_schedule(hass, start, start + timedelta(hours=1)))
    assert [(c["type"], c["status"]) for c in await realto_commands(sim)] == [
        ("StartCharging", "Pending"),
        ("StopCharging", "Pending"),
    ]
    assert entity_state(hass, LAST) == "pending"


async def test_a_lost_answer_for_a_half_failed_window_leaves_nothing_behind(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """The platform failed the start (another app's command is then) and kept the stop,
    and the answer was lost: the stop found is canceled, and the user is told."""
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "fail"})
    start = (dt_util.utcnow() + timedelta(hours=3)).replace(microsecond=0)
    async with aiohttp.ClientSession() as session:
        other_app = RealtoClient(session, REALTO_CLIENT_ID, REALTO_SECRET, base_url=f"{sim.url}/api")
        (other,) = (
            await other_app.schedule_commands(
                ENTITY_ID, [ScheduledCommand(trigger_time=start, type=CommandType.STOP_CHARGING)]
            )
        ).commands
    await sim.fault(api="realto", kind="drop_reply", method="POST", path=r"/schedule$")
    with pytest.raises(HomeAssistantError) as err:
        await Driver(hass, freezer, sim).run(_schedule(hass, start, start + timedelta(hours=1)))
    assert err.value.translation_key == "cannot_connect"
    mine = {c["type"]: c["status"] for c in await realto_commands(sim) if c["id"] != other.id}
    assert mine == {"StartCharging": "Failed", "StopCharging": "Canceled"}
    assert {c["id"]: c["status"] for c in await realto_commands(sim)}[other.id] == "Pending"


async def test_a_cancel_whose_answer_was_lost_is_checked(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """Each cancel's answer is lost; each command is read back, canceled: done."""
    start = dt_util.utcnow() + timedelta(hours=2)
    await _schedule(hass, start, start + timedelta(hours=1))
    await sim.fault(api="realto", kind="drop_reply", method="PATCH", path=r"/cancel$")
    cancel = hass.services.async_call(
        DOMAIN, "cancel_scheduled_charging", {"device_id": _device(hass)}, blocking=True
    )
    await Driver(hass, freezer, sim).run(cancel)
    assert [c["status"] for c in await realto_commands(sim)] == ["Canceled", "Canceled"]
    assert entity_state(hass, LAST) == "canceled"


@pytest.mark.parametrize("status_get", ["answers", "fails"])
async def test_a_cancel_that_never_arrived_is_reported(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, status_get: str
) -> None:
    start = dt_util.utcnow() + timedelta(hours=2)
    await _schedule(hass, start, start + timedelta(hours=1))
    await sim.fault(api="realto", kind="disconnect", method="PATCH", path=r"/cancel$")
    if status_get == "fails":
        await sim.fault(api="realto", kind="server_error", method="GET", path=STATUS_GET)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "cancel_scheduled_charging", {"device_id": _device(hass)}, blocking=True
        )
    assert err.value.translation_key == "cannot_connect"
    assert [c["status"] for c in await realto_commands(sim)] == ["Pending", "Pending"]


# ------------------------------------------- F12 (fixed in services.py)
@pytest.mark.parametrize(
    "start",
    ["2027-13-01 01:00:00", "2027-12-01 25:00:00", "2027-12-01T01:00:00+99:00", "9999-12-31 23:59:59"],
)
async def test_bad_datetimes_are_refused_with_a_translated_error(
    hass: HomeAssistant, setup_integration: Any, sim: SimulatorHandle, start: str
) -> None:
    data = {"device_id": _device(hass), "start": start, "end": "2028-01-01 05:00:00"}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "schedule_charging", data, blocking=True)
    assert err.value.translation_key == "invalid_datetime"
    assert await realto_commands(sim) == []
