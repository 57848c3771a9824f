"""re.alto client: authentication, token caching, one renewal on a 401."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import (
    AuthenticationError,
    ConnectionFailed,
    InvalidToken,
    MalformedResponse,
    ServerError,
)

from ..helpers import ENTITY_ID, REALTO_CLIENT_ID, REALTO_SECRET, REALTO_TOKEN, SimulatorHandle, realto_spec
from .realto_support import AUTH_PATH, calls, make_realto, mark, sent

ENTITY_PATH = f"/api/v1/entities/{ENTITY_ID}"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec()


async def test_authenticates_once_and_reuses_the_token(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    await client.entity(ENTITY_ID)
    await client.entity(ENTITY_ID)
    await client.last_reading(ENTITY_ID)
    log = await sent(sim)
    assert calls(log) == [
        ("POST", AUTH_PATH, 200),
        ("GET", ENTITY_PATH, 200),
        ("GET", ENTITY_PATH, 200),
        ("GET", f"{ENTITY_PATH}/readings/last", 200),
    ]
    secret = sim.world.recorder.redacted(REALTO_SECRET)  # the log never holds the secret itself
    assert log[0]["body"] == {"clientId": REALTO_CLIENT_ID, "clientSecret": secret}
    assert log[0]["category"] == "auth"


async def test_authenticate_forces_a_fresh_token(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    await client.authenticate()
    await client.authenticate()
    await client.entity(ENTITY_ID)
    assert [m for m, _, _ in calls(await sent(sim))] == ["POST", "POST", "GET"]
    assert len(sim.world.realto.tokens) == 3  # the scenario's fixed token and two issued


async def test_bad_credentials_raise_invalid_token(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session, client_secret="wrong")
    with pytest.raises(InvalidToken) as info:
        await client.authenticate()
    assert isinstance(info.value, AuthenticationError)
    assert info.value.status == 401
    assert "Invalid client credentials" in str(info.value)
    # The same refusal on the way to any call, and nothing else is sent.
    with pytest.raises(InvalidToken):
        await client.entity(ENTITY_ID)
    assert calls(await sent(sim)) == [("POST", AUTH_PATH, 401)] * 2


async def test_credentials_refused_with_400_raise_invalid_token(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    await sim.fault(kind="status", api="realto", path="/authentication$", status=400, body={"error": "bad"})
    with pytest.raises(InvalidToken) as info:
        await make_realto(sim, session).authenticate()
    assert info.value.status == 400
    assert "bad" in str(info.value)


async def test_credentials_refused_without_a_json_body(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.fault(kind="status", api="realto", path="/authentication$", status=403, body="Access denied")
    with pytest.raises(InvalidToken) as info:
        await make_realto(sim, session).authenticate()
    assert "Access denied" in str(info.value)


async def test_expired_token_is_renewed_and_the_request_replayed(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    client = make_realto(sim, session)
    await client.entity(ENTITY_ID)
    await sim.call("POST", "/sim/realto/tokens/expire", {})
    seq = await mark(sim)
    entity = await client.entity(ENTITY_ID)
    assert entity.id == ENTITY_ID
    assert calls(await sent(sim, seq)) == [
        ("GET", ENTITY_PATH, 401),
        ("POST", AUTH_PATH, 200),
        ("GET", ENTITY_PATH, 200),
    ]


async def test_a_second_401_is_raised_without_looping(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    await client.authenticate()
    await sim.fault(kind="status", api="realto", path=f"{ENTITY_PATH}$", status=401, body="")
    seq = await mark(sim)
    with pytest.raises(InvalidToken) as info:
        await client.entity(ENTITY_ID)
    assert info.value.status == 401
    assert calls(await sent(sim, seq)) == [
        ("GET", ENTITY_PATH, 401),
        ("POST", AUTH_PATH, 200),
        ("GET", ENTITY_PATH, 401),
    ]


async def test_the_simulators_401_challenge_becomes_the_message(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    # Renewal itself hands out a token the platform then refuses (expired at once).
    await sim.call("POST", "/sim/realto/settings", {"token_lifetime": 0})
    with pytest.raises(InvalidToken) as info:
        await make_realto(sim, session).entity(ENTITY_ID)
    assert "invalid_token" in str(info.value)
    assert "expired" in str(info.value)


async def test_concurrent_401s_share_one_renewal(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    await client.authenticate()
    await sim.call("POST", "/sim/realto/tokens/expire", {})
    seq = await mark(sim)
    entities = await asyncio.gather(*(client.entity(ENTITY_ID) for _ in range(6)))
    assert {e.id for e in entities} == {ENTITY_ID}
    log = await sent(sim, seq)
    assert [r["path"] for r in log].count(AUTH_PATH) == 1
    assert sum(1 for r in log if r["path"] == ENTITY_PATH and r["status"] == 200) == 6


async def test_concurrent_first_calls_share_one_authentication(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    client = make_realto(sim, session)
    await asyncio.gather(*(client.entity(ENTITY_ID) for _ in range(5)))
    assert [r["path"] for r in await sent(sim)].count(AUTH_PATH) == 1


async def test_a_token_close_to_expiry_is_not_kept(sim: SimulatorHandle, session: aiohttp.ClientSession):
    # expires_in 30 s is inside the 60 s margin: each call gets its own token first.
    await sim.call("POST", "/sim/realto/settings", {"token_lifetime": 30})
    client = make_realto(sim, session)
    await client.entity(ENTITY_ID)
    await client.entity(ENTITY_ID)
    assert calls(await sent(sim)) == [("POST", AUTH_PATH, 200), ("GET", ENTITY_PATH, 200)] * 2


async def test_a_token_without_expires_in_is_kept(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.fault(
        kind="status",
        api="realto",
        path="/authentication$",
        status=200,
        body={"access_token": REALTO_TOKEN, "token_type": "Bearer", "expires_in": "soon"},
        count=1,
    )
    client = make_realto(sim, session)
    await client.entity(ENTITY_ID)
    await client.entity(ENTITY_ID)
    log = await sent(sim)
    assert [r["path"] for r in log].count(AUTH_PATH) == 1
    assert all(r["status"] == 200 for r in log)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "status", "status": 200, "body": {"token_type": "Bearer"}}, MalformedResponse),
        ({"kind": "status", "status": 200, "body": ["not", "an", "object"]}, MalformedResponse),
        ({"kind": "malformed"}, MalformedResponse),
        ({"kind": "server_error"}, ServerError),
        ({"kind": "disconnect"}, ConnectionFailed),
    ],
)
async def test_token_endpoint_failures(
    sim: SimulatorHandle, session: aiohttp.ClientSession, fault: dict[str, Any], error: type[Exception]
):
    await sim.fault(api="realto", path="/authentication$", **fault)
    client = make_realto(sim, session)
    with pytest.raises(error):
        await client.authenticate()
    assert client.costs.total.requests == 1


async def test_principal_is_the_tokens_subject(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    assert client.principal is None  # no token yet
    await client.authenticate()
    assert client.principal == REALTO_CLIENT_ID


@pytest.mark.parametrize(
    "token",
    [
        "opaque-token",
        "a.%%%.c",
        "a.bm90IGpzb24.c",  # "not json"
        "a.WzFd.c",  # [1]: JSON, but not claims
        "a.eyJzdWIiOiAxfQ.c",  # {"sub": 1}
    ],
)
async def test_principal_of_other_tokens_is_unknown(
    sim: SimulatorHandle, session: aiohttp.ClientSession, token: str
):
    await sim.fault(
        api="realto",
        kind="status",
        path="/authentication$",
        status=200,
        body={"access_token": token, "expires_in": 3600},
    )
    client = make_realto(sim, session)
    await client.authenticate()
    assert client.principal is None
