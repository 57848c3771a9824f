"""re.alto client: triggering, following, scheduling, listing and cancelling commands."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import ApiError, CommandRefused, MalformedResponse, NotFound
from custom_components.ev_charge_control.api.realto import (
    Command,
    CommandBatch,
    CommandError,
    CommandStatus,
    CommandType,
    ScheduledCommand,
)

from ..helpers import ENTITY_ID, SimulatorHandle, realto_entity_spec, realto_spec
from .realto_support import calls, make_realto, mark, sent, sim_time

COMMANDS_PATH = f"/api/v1/entities/{ENTITY_ID}/commands"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(realto_entity_spec())


async def test_trigger_sends_type_and_value(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    assert command.status is CommandStatus.PENDING
    assert command.type is CommandType.START_CHARGING
    assert command.entity_id == ENTITY_ID
    assert command.trigger_time == sim_time(sim)
    assert command.value is None
    assert command.error is None
    assert not command.is_final
    record = (await sent(sim))[-1]
    assert (record["method"], record["path"], record["status"]) == ("POST", COMMANDS_PATH, 201)
    assert record["query"] == {"ignoreCooldown": "false"}
    assert record["body"] == {"type": "StartCharging", "value": None}


async def test_an_answer_without_a_command_id_is_malformed(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    """Without an id the command can be neither followed nor canceled: the caller is told
    (and may look for it with list_commands)."""
    await sim.fault(
        api="realto", kind="status", status=201, method="POST", path="/commands$", body={"title": "Accepted"}
    )
    client = make_realto(sim, session)
    with pytest.raises(MalformedResponse, match="no command id"):
        await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)


async def test_trigger_accepts_the_type_as_text_and_a_value(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, "StopCharging", value="now", ignore_cooldown=True)
    assert (command.type, command.value) == (CommandType.STOP_CHARGING, "now")
    record = (await sent(sim))[-1]
    assert record["query"] == {"ignoreCooldown": "true"}
    assert record["body"] == {"type": "StopCharging", "value": "now"}


async def test_lifecycle_through_succeeded(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    seen = []
    for step in (1.9, 0.1, 3, 10):  # default delays: 2 s, 3 s, 10 s
        sim.advance(step)
        seen.append((await client.command(ENTITY_ID, command.id)).status)
    assert seen == [
        CommandStatus.PENDING,
        CommandStatus.TRIGGERED,
        CommandStatus.SENT,
        CommandStatus.SUCCEEDED,
    ]
    final = await client.command(ENTITY_ID, command.id)
    assert final.is_final
    assert final.error is None
    assert sim.world.realto.entities[ENTITY_ID].vehicle.charging


async def test_start_while_unplugged_fails_with_an_error(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    await sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"action": "unplug"})
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    sim.advance(15)
    failed = await client.command(ENTITY_ID, command.id)
    assert failed.status is CommandStatus.FAILED
    assert failed.is_final
    assert failed.error == CommandError("VehicleNotPluggedIn", "The vehicle is not plugged in.")
    assert str(failed.error) == "VehicleNotPluggedIn: The vehicle is not plugged in."


async def test_injected_failure(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.call("POST", "/sim/realto/failures", {"stage": "send", "title": "OemTimeout"})
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, CommandType.STOP_CHARGING)
    sim.advance(5)
    failed = await client.command(ENTITY_ID, command.id)
    assert failed.status is CommandStatus.FAILED
    assert failed.error is not None
    assert failed.error.title == "OemTimeout"


async def test_unknown_command_is_not_found(sim: SimulatorHandle, session: aiohttp.ClientSession):
    with pytest.raises(NotFound):
        await make_realto(sim, session).command(ENTITY_ID, "00000000-0000-4000-8000-000000000000")


async def test_schedule_sends_utc_times(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    plus_two = timezone(timedelta(hours=2))
    start = sim_time(sim, 3600).astimezone(plus_two)
    batch = await client.schedule_commands(
        ENTITY_ID,
        [
            ScheduledCommand(start, CommandType.START_CHARGING),
            ScheduledCommand(start + timedelta(hours=2), "StopCharging", value="v"),
        ],
    )
    assert batch.batch_id
    assert [c.type for c in batch.commands] == [CommandType.START_CHARGING, CommandType.STOP_CHARGING]
    assert [c.trigger_time for c in batch.commands] == [sim_time(sim, 3600), sim_time(sim, 3 * 3600)]
    assert all(c.status is CommandStatus.PENDING for c in batch.commands)
    record = (await sent(sim))[-1]
    assert (record["path"], record["status"], record["query"]) == (
        f"{COMMANDS_PATH}/schedule",
        201,
        {"ignoreCooldown": "false"},
    )
    assert record["body"] == [
        {"triggerTime": "2026-01-01T01:00:00Z", "type": "StartCharging", "value": None},
        {"triggerTime": "2026-01-01T03:00:00Z", "type": "StopCharging", "value": "v"},
    ]


async def test_schedule_accepts_the_legacy_page_shape(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.call("POST", "/sim/realto/settings", {"schedule_response": "legacy"})
    client = make_realto(sim, session)
    batch = await client.schedule_commands(
        ENTITY_ID, [ScheduledCommand(sim_time(sim, 600), CommandType.START_CHARGING)], ignore_cooldown=True
    )
    assert batch.batch_id is None
    assert len(batch.commands) == 1
    assert batch.commands[0].entity_id == ENTITY_ID
    assert "data" in batch.raw
    assert (await sent(sim))[-1]["query"] == {"ignoreCooldown": "true"}


async def test_scheduled_commands_fire_at_their_time(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    batch = await client.schedule_commands(
        ENTITY_ID,
        [
            ScheduledCommand(sim_time(sim, 3600), CommandType.START_CHARGING),
            ScheduledCommand(sim_time(sim, 7200), CommandType.STOP_CHARGING),
        ],
    )
    start, stop = batch.commands
    sim.advance(3599)
    assert (await client.command(ENTITY_ID, start.id)).status is CommandStatus.PENDING
    sim.advance(20)
    assert (await client.command(ENTITY_ID, start.id)).status is CommandStatus.SUCCEEDED
    car = sim.world.realto.entities[ENTITY_ID].vehicle
    assert car.charging
    sim.advance(3600)
    assert (await client.command(ENTITY_ID, stop.id)).status is CommandStatus.SUCCEEDED
    assert not car.charging
    assert car.battery_level > 50


async def test_cancel_a_pending_command(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    batch = await client.schedule_commands(
        ENTITY_ID, [ScheduledCommand(sim_time(sim, 3600), CommandType.START_CHARGING)]
    )
    canceled = await client.cancel_command(ENTITY_ID, batch.commands[0].id)
    assert canceled.status is CommandStatus.CANCELED
    assert canceled.is_final
    record = (await sent(sim))[-1]
    assert (record["method"], record["path"], record["status"]) == (
        "PATCH",
        f"{COMMANDS_PATH}/{canceled.id}/cancel",
        200,
    )
    sim.advance(3700)
    assert (await client.command(ENTITY_ID, canceled.id)).status is CommandStatus.CANCELED
    assert not sim.world.realto.entities[ENTITY_ID].vehicle.charging


async def test_cancel_after_pending_is_refused(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    sim.advance(30)
    with pytest.raises(CommandRefused) as info:
        await client.cancel_command(ENTITY_ID, command.id)
    assert info.value.status == 409
    assert info.value.command == "cancel_command"
    assert "Succeeded" in info.value.reason


async def test_cancel_with_an_empty_answer_reads_the_command(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    await sim.fault(kind="status", api="realto", path="/cancel$", status=204, body="")
    seq = await mark(sim)
    result = await client.cancel_command(ENTITY_ID, command.id)
    assert result.id == command.id
    assert calls(await sent(sim, seq)) == [
        ("PATCH", f"{COMMANDS_PATH}/{command.id}/cancel", 204),
        ("GET", f"{COMMANDS_PATH}/{command.id}", 200),
    ]


async def test_cancel_path_is_configurable(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session, cancel_path="/v1/entities/{entity_id}/commands/{command_id}")
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    with pytest.raises(ApiError) as info:
        await client.cancel_command(ENTITY_ID, command.id)
    assert info.value.status == 405  # the simulator only knows the .../cancel path
    record = (await sent(sim))[-1]
    assert (record["method"], record["path"]) == ("PATCH", f"{COMMANDS_PATH}/{command.id}")


async def test_list_commands_with_window_and_pages(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    now = sim_time(sim)
    batch = await client.schedule_commands(
        ENTITY_ID,
        [
            ScheduledCommand(
                now + timedelta(hours=h), CommandType.START_CHARGING if h % 2 else "StopCharging"
            )
            for h in (1, 2, 3, 4)
        ],
    )
    seq = await mark(sim)
    everything = await client.list_commands(ENTITY_ID, now, page_size=3)
    assert [c.id for c in everything] == [c.id for c in batch.commands]
    assert all(c.entity_id == ENTITY_ID for c in everything)
    pages = await sent(sim, seq)
    assert len(pages) == 2
    assert pages[0]["query"] == {"start": "2026-01-01T00:00:00Z", "pageSize": "3"}
    window = await client.list_commands(ENTITY_ID, now + timedelta(hours=2), now + timedelta(hours=3))
    assert [c.id for c in window] == [c.id for c in batch.commands[1:3]]
    assert (await sent(sim))[-1]["query"]["end"] == "2026-01-01T03:00:00Z"


# ---------------------------------------------------------------- parsing
def test_command_keeps_unknown_values():
    command = Command.from_dict(
        {"id": "c", "status": "Verifying", "type": "LimitFeedIn", "value": "3000", "error": {"title": ""}}
    )
    assert command.status == "Verifying"
    assert isinstance(command.status, CommandStatus)
    assert not command.is_final
    assert command.type == "LimitFeedIn"
    assert command.error is None
    assert command.entity_id is None
    bare = Command.from_dict({})
    assert (bare.id, bare.status, bare.type, bare.trigger_time) == ("", None, None, None)
    assert str(CommandError()) == "unknown error"
    with pytest.raises(ValueError, match="is not a valid CommandStatus"):
        CommandStatus("")
    with pytest.raises(ValueError, match="is not a valid CommandStatus"):
        CommandStatus(3)  # type: ignore[arg-type]


def test_batch_without_commands():
    assert CommandBatch.from_dict({"batchId": "b"}).commands == ()
    assert CommandBatch.from_dict({"commands": [{"id": "x"}, 3]}).commands[0].id == "x"
