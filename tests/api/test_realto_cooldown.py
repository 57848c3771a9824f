"""re.alto client: the 10-minute cooldown, whichever way the platform reports it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime as http_date
import time
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import BadRequest, CooldownActive
from custom_components.ev_charge_control.api.realto import (
    CommandStatus,
    CommandType,
    CooldownFailedCommands,
    ScheduledCommand,
    cooldown_until,
)
from simulator import FakeClock

from ..helpers import ENTITY_ID, SimulatorHandle, realto_spec
from .realto_support import make_realto, sent, sim_time

START = CommandType.START_CHARGING
STOP = CommandType.STOP_CHARGING
COMMANDS = "/commands$"


@pytest.fixture
def clock() -> FakeClock:
    """The simulator's clock starts at the wall clock's second: the client compares a
    remembered command time with its own clock when the platform gives no hint."""
    return FakeClock(start=float(int(time.time())))


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec()


async def _commands(sim: SimulatorHandle) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await sim.call("GET", f"/sim/realto/commands?entity={ENTITY_ID}")
    return result


@pytest.mark.parametrize("status", [409, 429, 400])
async def test_reject_raises_with_the_end_of_the_cooldown(
    sim: SimulatorHandle, session: aiohttp.ClientSession, status: int
):
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "reject", "status": status})
    client = make_realto(sim, session)
    first = await client.trigger_command(ENTITY_ID, START)
    sim.advance(120)
    with pytest.raises(CooldownActive) as info:
        await client.trigger_command(ENTITY_ID, STOP)
    assert info.value.status == status
    assert info.value.allowed_at == first.trigger_time + timedelta(minutes=10)
    assert "cooldown" in str(info.value).lower()
    assert len(await _commands(sim)) == 1  # nothing was created
    assert (await sent(sim))[-1]["status"] == status


async def test_ignore_cooldown_bypasses_reject(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    await client.trigger_command(ENTITY_ID, START)
    sim.advance(60)
    second = await client.trigger_command(ENTITY_ID, STOP, ignore_cooldown=True)
    assert second.status is CommandStatus.PENDING
    assert second.trigger_time == sim_time(sim)


async def test_commands_are_allowed_again_after_ten_minutes(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    client = make_realto(sim, session)
    await client.trigger_command(ENTITY_ID, START)
    sim.advance(599)
    with pytest.raises(CooldownActive):
        await client.trigger_command(ENTITY_ID, STOP)
    sim.advance(1)
    assert (await client.trigger_command(ENTITY_ID, STOP)).status is CommandStatus.PENDING


async def test_fail_mode_raises_for_the_failed_command(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "fail"})
    client = make_realto(sim, session)
    first = await client.trigger_command(ENTITY_ID, START)
    sim.advance(30)
    with pytest.raises(CooldownActive) as info:
        await client.trigger_command(ENTITY_ID, STOP)
    assert info.value.allowed_at == first.trigger_time + timedelta(minutes=10)
    assert info.value.status is None
    stored = await _commands(sim)
    assert [c["status"] for c in stored] == ["Succeeded", "Failed"]
    assert stored[1]["error"]["title"] == "CommandCooldownActive"


async def test_fail_mode_with_ignore_cooldown(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "fail"})
    client = make_realto(sim, session)
    await client.trigger_command(ENTITY_ID, START)
    second = await client.trigger_command(ENTITY_ID, STOP, ignore_cooldown=True)
    assert second.status is CommandStatus.PENDING


async def test_defer_mode_returns_a_later_pending_command(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "defer"})
    client = make_realto(sim, session)
    first = await client.trigger_command(ENTITY_ID, START)
    sim.advance(60)
    deferred = await client.trigger_command(ENTITY_ID, STOP)
    assert deferred.status is CommandStatus.PENDING
    assert first.trigger_time is not None
    assert deferred.trigger_time == first.trigger_time + timedelta(minutes=10)
    now = await client.trigger_command(ENTITY_ID, STOP, ignore_cooldown=True)
    assert now.trigger_time == sim_time(sim)


async def test_schedule_inside_the_cooldown_is_rejected(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    with pytest.raises(CooldownActive) as info:
        await client.schedule_commands(
            ENTITY_ID,
            [ScheduledCommand(sim_time(sim, 3600), START), ScheduledCommand(sim_time(sim, 3900), STOP)],
        )
    assert info.value.allowed_at == sim_time(sim, 4200)
    assert await _commands(sim) == []
    batch = await client.schedule_commands(
        ENTITY_ID,
        [ScheduledCommand(sim_time(sim, 3600), START), ScheduledCommand(sim_time(sim, 3900), STOP)],
        ignore_cooldown=True,
    )
    assert len(batch.commands) == 2


async def test_schedule_in_fail_mode_reports_the_failed_item(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    await sim.call("POST", "/sim/realto/cooldown", {"mode": "fail"})
    client = make_realto(sim, session)
    with pytest.raises(CooldownActive) as info:
        await client.schedule_commands(
            ENTITY_ID,
            [ScheduledCommand(sim_time(sim, 3600), START), ScheduledCommand(sim_time(sim, 3660), STOP)],
        )
    assert info.value.allowed_at == sim_time(sim, 4200)
    assert "1 other command(s) of the batch stay scheduled" in str(info.value)
    assert [c["status"] for c in await _commands(sim)] == ["Pending", "Failed"]
    # The batch comes with the error, so the caller can cancel what was kept, by id.
    assert isinstance(info.value, CooldownFailedCommands)
    created = {c["id"]: c["status"] for c in await _commands(sim)}
    assert {c.id: c.status for c in info.value.commands} == created


async def test_a_canceled_command_starts_no_cooldown(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    batch = await client.schedule_commands(ENTITY_ID, [ScheduledCommand(sim_time(sim, 60), START)])
    await client.cancel_command(ENTITY_ID, batch.commands[0].id)
    assert (await client.trigger_command(ENTITY_ID, START)).status is CommandStatus.PENDING


# ------------------------------------------------ how allowed_at is found
async def test_allowed_at_falls_back_to_ten_minutes_after_the_last_command(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    client = make_realto(sim, session)
    first = await client.trigger_command(ENTITY_ID, START)
    await sim.fault(
        kind="status", api="realto", path=COMMANDS, method="POST", status=409, body={"title": "Conflict"}
    )
    with pytest.raises(CooldownActive) as info:
        await client.trigger_command(ENTITY_ID, STOP)
    assert first.trigger_time is not None
    assert info.value.allowed_at == first.trigger_time + timedelta(minutes=10)
    assert info.value.message == "Conflict"


async def test_allowed_at_from_retry_after_seconds(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.fault(
        kind="status", api="realto", path=COMMANDS, status=429, body="", headers={"Retry-After": "120"}
    )
    before = datetime.now(UTC)
    with pytest.raises(CooldownActive) as info:
        await make_realto(sim, session).trigger_command(ENTITY_ID, START)
    after = datetime.now(UTC)
    assert info.value.allowed_at is not None
    assert before + timedelta(seconds=120) <= info.value.allowed_at <= after + timedelta(seconds=120)
    assert info.value.message == "HTTP 429"


async def test_allowed_at_from_a_retry_after_date(sim: SimulatorHandle, session: aiohttp.ClientSession):
    moment = datetime(2026, 1, 1, 0, 7, 30, tzinfo=UTC)
    await sim.fault(
        kind="status",
        api="realto",
        path=COMMANDS,
        status=409,
        body={"detail": "busy"},
        headers={"Retry-After": http_date(moment, usegmt=True)},
    )
    with pytest.raises(CooldownActive) as info:
        await make_realto(sim, session).trigger_command(ENTITY_ID, START)
    assert info.value.allowed_at == moment


async def test_allowed_at_without_any_hint_is_ten_minutes_from_now(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    await sim.fault(
        kind="status", api="realto", path=COMMANDS, status=400, body={"message": "Cooldown running"}
    )
    before = datetime.now(UTC)
    with pytest.raises(CooldownActive) as info:
        await make_realto(sim, session).trigger_command(ENTITY_ID, START)
    after = datetime.now(UTC)
    assert info.value.allowed_at is not None
    assert before + timedelta(minutes=10) <= info.value.allowed_at <= after + timedelta(minutes=10)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Too many commands", "detail": "Entity cooldown until 2026-01-01T00:10:00Z"},
        {"message": "cool-down active", "errors": ["", "retry at 2026-01-01T00:10:00.000+00:00"]},
        {"errors": [{"code": "CommandCooldownActive", "message": "Retry after 2026-01-01T00:10:00Z"}]},
        {"errors": {"command": ["Cooldown active until 2026-01-01 00:10:00Z"]}},
        {"description": "Cooldown", "code": "Busy", "errors": [{"description": "2026-01-01T00:10:00Z"}]},
        {"error": {"message": "cooldown", "detail": "after 2026-01-01T00:10Z"}},
    ],
)
async def test_error_body_variants(
    sim: SimulatorHandle, session: aiohttp.ClientSession, body: dict[str, Any]
):
    await sim.fault(kind="status", api="realto", path=COMMANDS, status=400, body=body)
    with pytest.raises(CooldownActive) as info:
        await make_realto(sim, session).trigger_command(ENTITY_ID, START)
    assert info.value.allowed_at == datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
    assert info.value.status == 400


async def test_a_400_about_the_ignore_cooldown_flag_is_a_bad_request(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    body = {"title": "One or more validation errors occurred.", "errors": {"ignoreCooldown": ["Invalid."]}}
    await sim.fault(kind="status", api="realto", path=COMMANDS, status=400, body=body)
    with pytest.raises(BadRequest) as info:
        await make_realto(sim, session).trigger_command(ENTITY_ID, START)
    assert "ignoreCooldown: Invalid." in str(info.value)


def test_cooldown_until_prefers_the_retry_time():
    text = "Last command created at 2026-01-01T00:00:00Z; retry after 2026-01-01T00:10:00Z"
    assert cooldown_until([text]) == datetime(2026, 1, 1, 0, 10, tzinfo=UTC)


def test_cooldown_until_ignores_an_unreadable_hint():
    before = datetime.now(UTC)
    moment = cooldown_until(["Retry after 2026-13-45T99:99:99Z"], {"Retry-After": "whenever"})
    assert before + timedelta(minutes=10) <= moment <= datetime.now(UTC) + timedelta(minutes=10)
    old = datetime(2020, 1, 1, tzinfo=UTC)  # a last command long ago says nothing
    assert cooldown_until([], None, old) >= before + timedelta(minutes=10)
    assert cooldown_until([], {"Retry-After": "2026-01-01T00:05:00Z"}) == datetime(
        2026, 1, 1, 0, 5, tzinfo=UTC
    )
