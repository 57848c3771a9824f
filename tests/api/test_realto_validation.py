"""re.alto client: bad arguments are refused before anything is sent; time formats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import InvalidArgument
from custom_components.ev_charge_control.api.realto import (
    CommandType,
    RealtoClient,
    ScheduledCommand,
    format_datetime,
    parse_datetime,
)

from ..helpers import ENTITY_ID, SimulatorHandle, realto_spec
from .realto_support import make_realto, sent

AWARE = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
NAIVE = datetime(2026, 1, 1, 10, 0)  # noqa: DTZ001 - the point of the test
START = CommandType.START_CHARGING

Call = Callable[[RealtoClient], Awaitable[Any]]

CASES: dict[str, tuple[Call, str]] = {
    "naive trigger time": (
        lambda c: c.schedule_commands(ENTITY_ID, [ScheduledCommand(NAIVE, START)]),
        "commands[0].trigger_time",
    ),
    "trigger time not a datetime": (
        lambda c: c.schedule_commands(ENTITY_ID, [ScheduledCommand("10:00", START)]),  # type: ignore[arg-type]
        "commands[0].trigger_time",
    ),
    "empty schedule": (lambda c: c.schedule_commands(ENTITY_ID, []), "commands"),
    "schedule not a list": (
        lambda c: c.schedule_commands(ENTITY_ID, ScheduledCommand(AWARE, START)),  # type: ignore[arg-type]
        "commands",
    ),
    "schedule item of the wrong kind": (
        lambda c: c.schedule_commands(ENTITY_ID, [{"triggerTime": AWARE, "type": "StartCharging"}]),  # type: ignore[list-item]
        "commands[0]",
    ),
    "unknown scheduled type": (
        lambda c: c.schedule_commands(
            ENTITY_ID, [ScheduledCommand(AWARE, START), ScheduledCommand(AWARE, "LimitFeedIn")]
        ),
        "commands[1].type",
    ),
    "scheduled value not text": (
        lambda c: c.schedule_commands(ENTITY_ID, [ScheduledCommand(AWARE, START, 3000)]),  # type: ignore[arg-type]
        "commands[0].value",
    ),
    "schedule ignore_cooldown not a bool": (
        lambda c: c.schedule_commands(ENTITY_ID, [ScheduledCommand(AWARE, START)], ignore_cooldown="true"),  # type: ignore[arg-type]
        "ignore_cooldown",
    ),
    "unknown command type": (lambda c: c.trigger_command(ENTITY_ID, "Honk"), "command_type"),
    "command type not text": (lambda c: c.trigger_command(ENTITY_ID, 1), "command_type"),  # type: ignore[arg-type]
    "value not text": (lambda c: c.trigger_command(ENTITY_ID, START, value=16), "value"),  # type: ignore[arg-type]
    "ignore_cooldown not a bool": (
        lambda c: c.trigger_command(ENTITY_ID, START, ignore_cooldown=1),  # type: ignore[arg-type]
        "ignore_cooldown",
    ),
    "empty entity id": (lambda c: c.trigger_command("", START), "entity_id"),
    "entity id not text": (lambda c: c.entity(None), "entity_id"),  # type: ignore[arg-type]
    "blank command id": (lambda c: c.command(ENTITY_ID, "  "), "command_id"),
    "cancel without command id": (lambda c: c.cancel_command(ENTITY_ID, ""), "command_id"),
    "cancel without entity id": (lambda c: c.cancel_command("", "x"), "entity_id"),
    "naive list start": (lambda c: c.list_commands(ENTITY_ID, NAIVE), "start"),
    "naive list end": (lambda c: c.list_commands(ENTITY_ID, AWARE, NAIVE), "end"),
    "end before start": (lambda c: c.list_commands(ENTITY_ID, AWARE, AWARE - timedelta(seconds=1)), "end"),
    "page size zero": (lambda c: c.list_commands(ENTITY_ID, AWARE, page_size=0), "page_size"),
    "page size not an int": (lambda c: c.list_entities(page_size=True), "page_size"),
    "entity type not text": (lambda c: c.list_entities(entity_type=3), "entity_type"),  # type: ignore[arg-type]
}


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec()


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_arguments_send_nothing(sim: SimulatorHandle, session: aiohttp.ClientSession, case: str):
    call, argument = CASES[case]
    client = make_realto(sim, session)
    with pytest.raises(InvalidArgument) as info:
        await call(client)
    assert info.value.argument == argument
    assert isinstance(info.value, ValueError)
    assert await sent(sim) == []
    assert client.costs.total.requests == 0


@pytest.mark.parametrize(
    "template",
    [
        "/v1/commands/{command_id}",
        "v1/{entity_id}/{command_id}",
        "/v1/{entity_id}/{command_id}/{other}",
        "/{0}",
    ],
)
def test_cancel_path_must_name_both_ids(template: str):
    with pytest.raises(InvalidArgument) as info:
        RealtoClient(None, "id", "secret", cancel_path=template)  # type: ignore[arg-type]
    assert info.value.argument == "cancel_path"


def test_datetime_format_and_parse():
    plus_one = timezone(timedelta(hours=1))
    assert format_datetime(datetime(2026, 3, 1, 11, 30, 15, 999, tzinfo=plus_one)) == "2026-03-01T10:30:15Z"
    expected = datetime(2023, 11, 7, 5, 31, 56, 123456, tzinfo=UTC)
    assert parse_datetime("2023-11-07T05:31:56.1234567Z") == expected
    assert parse_datetime("2023-11-07T06:31:56.123456+01:00") == expected
    assert parse_datetime("2023-11-07T05:31:56") == datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)
    assert parse_datetime("yesterday") is None
    assert parse_datetime("") is None
    assert parse_datetime(1700000000) is None
    # Past year 9999 once in UTC, or out of range: unknown, not an error.
    assert parse_datetime("9999-12-31T23:59:59-05:00") is None
    assert parse_datetime("2023-13-01T00:00:00Z") is None
