"""re.alto client: every HTTP and transport failure maps to the shared error taxonomy,
and the request counters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import (
    ApiError,
    BadRequest,
    CommandRefused,
    ConnectionFailed,
    CooldownActive,
    CostCategory,
    Forbidden,
    InvalidToken,
    MalformedResponse,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from custom_components.ev_charge_control.api.realto import (
    CommandType,
    RealtoClient,
    ScheduledCommand,
    raise_for_status,
)

from ..helpers import ENTITY_ID, REALTO_CLIENT_ID, SimulatorHandle, realto_entity_spec, realto_spec
from .realto_support import make_realto, sent, sim_time

VIEWER_ID = "0f0f0f0f-0000-4000-8000-0000000000b3"
ENTITY = f"/entities/{ENTITY_ID}$"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(
        realto_entity_spec(),
        realto_entity_spec(id=VIEWER_ID, vin="VIEWER00000000004", permissions={REALTO_CLIENT_ID: "Viewer"}),
    )


async def test_forbidden_for_a_viewer(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    assert (await client.entity(VIEWER_ID)).id == VIEWER_ID  # reading is allowed
    with pytest.raises(Forbidden) as info:
        await client.trigger_command(VIEWER_ID, CommandType.START_CHARGING)
    assert info.value.status == 403
    assert "Contributor" in str(info.value)


async def test_simulator_validation_errors_are_bad_requests(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    # The client never sends an unknown type; the platform's answer is still mapped.
    await sim.fault(
        kind="status",
        api="realto",
        path="/commands$",
        status=400,
        body={"title": "One or more validation errors occurred.", "errors": {"type": ["Unknown."]}},
    )
    with pytest.raises(BadRequest) as info:
        await make_realto(sim, session).trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    assert str(info.value) == "One or more validation errors occurred.; type: Unknown."


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        ({"kind": "status", "status": 400, "body": {"detail": "bad"}}, BadRequest, 400),
        ({"kind": "status", "status": 403, "body": {"title": "Forbidden"}}, Forbidden, 403),
        ({"kind": "not_found"}, NotFound, 404),
        ({"kind": "status", "status": 409, "body": {"title": "Conflict"}}, CommandRefused, 409),
        ({"kind": "rate_limit", "retry_after": 42}, RateLimited, 429),
        ({"kind": "server_error"}, ServerError, 500),
        ({"kind": "service_unavailable"}, ServerError, 503),
        ({"kind": "html_error"}, ServerError, 502),
        ({"kind": "status", "status": 418, "body": "teapot"}, ApiError, 418),
    ],
)
async def test_http_errors(
    sim: SimulatorHandle,
    session: aiohttp.ClientSession,
    fault: dict[str, Any],
    error: type[ApiError],
    status: int,
):
    await sim.fault(api="realto", path=ENTITY, **fault)
    with pytest.raises(error) as info:
        await make_realto(sim, session).entity(ENTITY_ID)
    assert type(info.value) is error
    assert info.value.status == status
    if error is RateLimited:
        assert info.value.retry_after == 42.0


@pytest.mark.parametrize(
    ("header", "expected"), [("Mon, 01 Jan 2024 00:00:00 GMT", 0.0), ("soon", None), ("", None)]
)
async def test_rate_limit_retry_after_variants(
    sim: SimulatorHandle, session: aiohttp.ClientSession, header: str, expected: float | None
):
    await sim.fault(
        kind="status",
        api="realto",
        path=ENTITY,
        status=429,
        body="slow down",
        headers={"Retry-After": header},
    )
    with pytest.raises(RateLimited) as info:
        await make_realto(sim, session).entity(ENTITY_ID)
    assert info.value.retry_after == expected
    assert info.value.message == "slow down"


async def test_a_429_on_a_command_is_the_cooldown(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.fault(kind="rate_limit", api="realto", path="/commands$", retry_after=30)
    with pytest.raises(CooldownActive):
        await make_realto(sim, session).trigger_command(ENTITY_ID, CommandType.START_CHARGING)


async def test_a_401_on_the_renewal_path_is_invalid_token(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    await sim.fault(kind="invalid_token", api="realto", path=ENTITY)
    with pytest.raises(InvalidToken) as info:
        await make_realto(sim, session).entity(ENTITY_ID)
    assert "invalid bearer token" in str(info.value)


async def test_timeout(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.fault(kind="hang", api="realto", path=ENTITY, seconds=5)
    client = make_realto(sim, session, request_timeout=0.3)
    await client.authenticate()
    with pytest.raises(RequestTimeout):
        await client.entity(ENTITY_ID)
    assert client.costs.total.requests == 2
    assert client.costs.for_vehicle(ENTITY_ID).billed[CostCategory.FREE] == 0


async def test_dropped_connection(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.fault(kind="disconnect", api="realto", path=ENTITY)
    with pytest.raises(ConnectionFailed):
        await make_realto(sim, session).entity(ENTITY_ID)


async def test_nothing_listening(socket_enabled: None, session: aiohttp.ClientSession):
    with socket.socket() as probe:  # a free port that nobody serves
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = RealtoClient(
        session, "id", "secret", base_url=f"http://127.0.0.1:{port}/api/", request_timeout=5
    )
    assert client.base_url == f"http://127.0.0.1:{port}/api"
    with pytest.raises(ConnectionFailed) as info:
        await client.authenticate()
    assert f"127.0.0.1:{port}" in str(info.value)


@pytest.mark.parametrize(
    ("fault", "call"),
    [
        ({"kind": "malformed"}, "entity"),
        ({"kind": "status", "status": 200, "body": ["a", "list"]}, "entity"),
        ({"kind": "status", "status": 200, "body": ""}, "entity"),
        ({"kind": "status", "status": 200, "body": "[]"}, "reading"),
        ({"kind": "status", "status": 200, "body": {"data": {"not": "a list"}}}, "list"),
        ({"kind": "status", "status": 200, "body": "42"}, "list"),
        ({"kind": "status", "status": 201, "body": "[]"}, "trigger"),
        ({"kind": "status", "status": 201, "body": "[]"}, "schedule"),
        ({"kind": "status", "status": 200, "body": "[]"}, "cancel"),
    ],
)
async def test_malformed_answers(
    sim: SimulatorHandle, session: aiohttp.ClientSession, fault: dict[str, Any], call: str
):
    await sim.fault(
        api="realto",
        path=r"/entities(/[^/]+)?(/readings/last|/commands|/commands/schedule|/commands/x/cancel)?$",
        **fault,
    )
    client = make_realto(sim, session)
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "entity": lambda: client.entity(ENTITY_ID),
        "reading": lambda: client.last_reading(ENTITY_ID),
        "list": client.list_entities,
        "trigger": lambda: client.trigger_command(ENTITY_ID, CommandType.START_CHARGING),
        "schedule": lambda: client.schedule_commands(
            ENTITY_ID, [ScheduledCommand(sim_time(sim, 60), CommandType.START_CHARGING)]
        ),
        "cancel": lambda: client.cancel_command(ENTITY_ID, "x"),
    }
    with pytest.raises(MalformedResponse):
        await calls[call]()


async def test_request_counters(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    await client.list_entities()
    await client.entity(ENTITY_ID)
    await client.last_reading(ENTITY_ID)
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    await client.command(ENTITY_ID, command.id)
    with pytest.raises(NotFound):
        await client.command(ENTITY_ID, "missing")
    total = client.costs.total.as_dict()
    assert total.pop("handshakes") == 0  # re.alto has no signed commands
    assert total == {"data": 1, "command": 1, "wake": 0, "free": 5, "requests": 7, "cost_usd": 0.0}
    per_entity = client.costs.for_vehicle(ENTITY_ID).as_dict()
    assert per_entity.pop("handshakes") == 0
    assert per_entity == {"data": 1, "command": 1, "wake": 0, "free": 3, "requests": 5, "cost_usd": 0.0}
    assert len(await sent(sim)) == 7


def test_raise_for_status_passes_success():
    raise_for_status(201, "", {})
    raise_for_status(302, "moved", {})
