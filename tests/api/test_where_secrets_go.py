"""Where tokens and secrets may go: wrong-region answers, redirects, huge answers, the
simulator's request log, and the clients' reprs.

Every test talks HTTP: to the simulator, or to a second loopback server on another port
(another origin) that records what reaches it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.ev_charge_control.api import ApiMoved, ResponseTooLarge, WrongRegion
from custom_components.ev_charge_control.api.realto import RealtoClient
from custom_components.ev_charge_control.api.tesla import TeslaClient
from custom_components.ev_charge_control.api.tesla.oauth import TeslaOAuth
from custom_components.ev_charge_control.api.tesla.signing import SigningKey
from custom_components.ev_charge_control.api.transport import MAX_ANSWER_BYTES, exchange
from custom_components.ev_charge_control.flow_base import valid_api_url
from custom_components.ev_charge_control.tesla import TeslaAccount
from simulator import FakeClock, build_world, create_app

from ..helpers import (
    ACCESS_TOKEN,
    REALTO_CLIENT_ID,
    REALTO_SECRET,
    REFRESH_TOKEN,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_spec,
    world_secrets,
)
from .support import mark, raises_exactly, sent_since, static_token

TIMEOUT = aiohttp.ClientTimeout(total=30)


@pytest.fixture
def scenario() -> dict[str, Any]:
    return {**account_spec(region="eu"), **realto_spec()}


@dataclass
class Origin:
    """A loopback server on its own port that records every request reaching it."""

    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)

    def secrets_seen(self, *secrets: str) -> list[str]:
        return [s for s in secrets for r in self.seen if s in r["body"] or s in (r["auth"] or "")]


@pytest.fixture
async def other_origin(socket_enabled: None) -> AsyncIterator[Origin]:
    origin = Origin("")

    async def record(request: web.Request) -> web.Response:
        origin.seen.append(
            {"path": request.path, "auth": request.headers.get("Authorization"), "body": await request.text()}
        )
        return web.json_response({"access_token": "x", "expires_in": 3600, "response": []})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    origin.url = str(server.make_url("")).rstrip("/")
    yield origin
    await server.close()


@pytest.fixture
async def redirecting(other_origin: Origin) -> AsyncIterator[str]:
    """A server that answers every request with a 307 to the other origin."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"{other_origin.url}{request.path}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


# ------------------------------------------------------------------- F10: 421
class _Remembered:
    def __init__(self) -> None:
        self.urls: list[str] = []

    async def __call__(self, url: str) -> None:
        self.urls.append(url)


@pytest.mark.parametrize("kind", ["body", "alt_svc"])
async def test_a_421_naming_another_origin_sends_the_token_nowhere_and_nothing_is_kept(
    sim: SimulatorHandle, session: aiohttp.ClientSession, other_origin: Origin, kind: str
) -> None:
    """A compatible service (or anything answering at the API URL) names another host."""
    if kind == "body":
        await sim.fault(kind="wrong_region", base_url=other_origin.url, path="/vehicles$", count=1)
    else:
        alt_svc = f"h2={other_origin.url}"
        await sim.fault(kind="status", status=421, headers={"Alt-Svc": alt_svc}, path="/vehicles$", count=1)
    remembered = _Remembered()
    client = TeslaClient(session, static_token(), base_url=sim.url)
    with raises_exactly(WrongRegion) as info:
        await TeslaAccount(client, remembered, follow_region=True).async_list_vehicles()
    assert other_origin.seen == []
    assert remembered.urls == []
    assert client.base_url == sim.url
    assert f"served at {other_origin.url}, which is not followed" in info.value.message


async def test_a_421_naming_plain_http_elsewhere_is_not_followed(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    await sim.fault(kind="wrong_region", base_url="http://attacker.example", path="/vehicles$", count=1)
    remembered = _Remembered()
    client = TeslaClient(session, static_token(), base_url=sim.url)
    seq = await mark(sim)
    with raises_exactly(WrongRegion):
        await TeslaAccount(client, remembered).async_list_vehicles()
    assert remembered.urls == []
    assert [r["status"] for r in await sent_since(sim, seq)] == [421]


async def test_a_421_naming_a_path_on_the_same_server_is_followed_and_kept_valid(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    """The token goes nowhere new: the simulator's ``/eu`` is on the server already used."""
    remembered = _Remembered()
    client = TeslaClient(session, static_token(), base_url=sim.url)
    vehicles = await TeslaAccount(client, remembered).async_list_vehicles()
    assert [v.vin for v in vehicles] == [VIN]
    assert remembered.urls == [f"{sim.url}/eu"]
    assert all(valid_api_url(url) for url in remembered.urls)


# ------------------------------------------------------------- F11: redirects
async def test_a_307_does_not_forward_the_realto_client_secret(
    redirecting: str, other_origin: Origin, session: aiohttp.ClientSession
) -> None:
    client = RealtoClient(session, "client-id", "very-secret-client-secret", base_url=redirecting)
    with raises_exactly(ApiMoved) as info:
        await client.authenticate()
    assert other_origin.seen == []
    assert info.value.location == f"{other_origin.url}/v1/authentication"
    assert info.value.status == 307
    assert f"the API moved to {other_origin.url}/v1/authentication" in info.value.message
    assert "reconfigure" in info.value.message


async def test_a_307_on_tesla_sends_neither_the_bearer_token_nor_the_command(
    redirecting: str, other_origin: Origin, session: aiohttp.ClientSession
) -> None:
    client = TeslaClient(session, static_token(), base_url=redirecting)
    with raises_exactly(ApiMoved):
        await client.list_vehicles()
    with raises_exactly(ApiMoved):
        await client.set_charge_limit(VIN, 80)
    assert other_origin.seen == []


async def test_a_307_from_the_token_endpoint_does_not_repost_the_refresh_token(
    redirecting: str, other_origin: Origin, session: aiohttp.ClientSession
) -> None:
    oauth = TeslaOAuth(session, "app", client_secret="app-secret", token_url=f"{redirecting}/oauth2/v3/token")
    with raises_exactly(ApiMoved):
        await oauth.refresh(REFRESH_TOKEN)
    assert other_origin.seen == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_every_redirect_status_is_an_error_naming_the_target(
    sim: SimulatorHandle, session: aiohttp.ClientSession, other_origin: Origin, status: int
) -> None:
    await sim.fault(kind="redirect", status=status, base_url=other_origin.url, path="/vehicles", count=1)
    client = TeslaClient(session, static_token(), base_url=f"{sim.url}/eu")
    with raises_exactly(ApiMoved) as info:
        await client.list_vehicles()
    assert info.value.status == status
    assert info.value.location == f"{other_origin.url}/eu/api/1/vehicles?page=1&per_page=100"
    assert other_origin.seen == []


async def test_a_relative_redirect_names_the_full_target(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=308, headers={"Location": "/v2/elsewhere"})

    async def bare(request: web.Request) -> web.Response:
        return web.Response(status=302)

    async def garbled(request: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": "http://[::1"})

    app = web.Application()
    app.router.add_get("/moved", moved)
    app.router.add_get("/bare", bare)
    app.router.add_get("/garbled", garbled)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        with raises_exactly(ApiMoved) as info:
            await exchange(session, "GET", f"{base}/moved", timeout=TIMEOUT, what="the test API")
        assert info.value.location == f"{base}/v2/elsewhere"
        with raises_exactly(ApiMoved) as info:
            await exchange(session, "GET", f"{base}/bare", timeout=TIMEOUT, what="the test API")
        assert info.value.location is None
        assert info.value.message == "the test API answered 302 (a redirect) naming no new address"
        with raises_exactly(ApiMoved) as info:
            await exchange(session, "GET", f"{base}/garbled", timeout=TIMEOUT, what="the test API")
        assert info.value.location == "http://[::1"  # named as given, when it is no URL
    finally:
        await server.close()


# ----------------------------------------------------------- F19: answer size
@dataclass
class Streamed:
    """What a streaming handler managed to send before the client hung up."""

    written: int = 0
    ended: asyncio.Event = field(default_factory=asyncio.Event)


CHUNK = b" " * (64 * 1024)
STREAM_TOTAL = 4 * MAX_ANSWER_BYTES  # what the server would send if the client kept reading


@pytest.fixture
async def huge_server(socket_enabled: None) -> AsyncIterator[tuple[str, Streamed, Streamed]]:
    """``/stream``: a JSON answer padded past the cap (no length); ``/declared``: a
    Content-Length above the cap."""
    stream, declared = Streamed(), Streamed()

    async def send(request: web.Request, response: web.StreamResponse, record: Streamed) -> None:
        await response.prepare(request)
        try:
            await response.write(b'{"response": {"charge_state": {}}, "pad": "')
            while record.written < STREAM_TOTAL:
                await response.write(CHUNK)
                record.written += len(CHUNK)
            await response.write(b'"}')
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            record.ended.set()

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await send(request, response, stream)
        return response

    async def too_long(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = STREAM_TOTAL
        await send(request, response, declared)
        return response

    app = web.Application()
    app.router.add_get("/stream/api/1/vehicles/{vin}/vehicle_data", streamed)
    app.router.add_get("/declared/api/1/vehicles/{vin}/vehicle_data", too_long)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), stream, declared
    await server.close()


async def test_an_answer_past_the_cap_is_refused_and_not_read_further(
    huge_server: tuple[str, Streamed, Streamed], session: aiohttp.ClientSession
) -> None:
    base, stream, _declared = huge_server
    client = TeslaClient(session, static_token(), base_url=f"{base}/stream")
    with raises_exactly(ResponseTooLarge) as info:
        await client.vehicle_data(VIN)
    assert f"larger than {MAX_ANSWER_BYTES} bytes; not read further" in info.value.message
    # The client hung up: the server's next writes failed before it sent everything.
    await stream.ended.wait()
    assert stream.written < STREAM_TOTAL


async def test_a_declared_length_past_the_cap_is_refused_before_reading(
    huge_server: tuple[str, Streamed, Streamed], session: aiohttp.ClientSession
) -> None:
    base, _stream, declared = huge_server
    client = TeslaClient(session, static_token(), base_url=f"{base}/declared")
    with raises_exactly(ResponseTooLarge) as info:
        await client.vehicle_data(VIN)
    assert info.value.message.endswith(
        f"announced an answer of {STREAM_TOTAL} bytes; the limit is {MAX_ANSWER_BYTES}"
    )
    await declared.ended.wait()
    assert declared.written < STREAM_TOTAL


@pytest.mark.parametrize(("size", "refused"), [(MAX_ANSWER_BYTES, False), (MAX_ANSWER_BYTES + 1, True)])
async def test_the_cap_itself(
    socket_enabled: None, session: aiohttp.ClientSession, size: int, refused: bool
) -> None:
    """An answer of exactly the cap is read; one byte more is not (chunked, no length)."""

    async def sized(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"x" * size)
        return response

    app = web.Application()
    app.router.add_get("/", sized)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        call = exchange(session, "GET", str(server.make_url("/")), timeout=TIMEOUT, what="the test API")
        if refused:
            with raises_exactly(ResponseTooLarge):
                await call
        else:
            assert len((await call).text) == size
    finally:
        await server.close()


# ------------------------------------------------------- F21: the request log
async def test_the_simulators_request_log_holds_no_secrets(socket_enabled: None) -> None:
    world = build_world({**account_spec(), **realto_spec()}, FakeClock())
    server = TestServer(create_app(world), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    refresh = next(iter(world.tokens.refresh))
    async with aiohttp.ClientSession() as session:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": "my-tesla-app",
            "client_secret": "my-tesla-app-secret",
        }
        async with session.post(f"{base}/oauth2/v3/token", data=form) as resp:
            assert resp.status == 200
        async with session.post(
            f"{base}/oauth2/v3/token", json={**form, "refresh_token": "spent-token-123"}
        ) as resp:
            assert resp.status == 401
        realto = RealtoClient(session, REALTO_CLIENT_ID, REALTO_SECRET, base_url=f"{base}/api")
        await realto.authenticate()
        # An admin call with a text/plain body, as a cross-site form could send it.
        headers = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
        async with session.post(f"{base}/sim/faults", data='{"kind": "hang"}', headers=headers) as resp:
            csrf = resp.status
        async with session.get(f"{base}/sim/requests") as resp:
            log = await resp.text()
    await server.close()
    found = [s for s in (refresh, "spent-token-123", "my-tesla-app-secret", REALTO_SECRET) if s in log]
    assert found == []
    assert csrf == 415
    assert world.faults.faults == []
    # The requests are there, their secrets replaced by markers.
    assert world.recorder.redacted(REALTO_SECRET) in log
    assert "my-tesla-app" in log


# ------------------------------------------------------------------- reprs
async def test_no_client_shows_a_secret_in_its_repr(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    key = SigningKey.generate()
    tesla = TeslaClient(session, static_token(ACCESS_TOKEN), base_url=f"{sim.url}/eu", signing_key=key)
    await tesla.list_vehicles()
    realto = RealtoClient(session, REALTO_CLIENT_ID, REALTO_SECRET, base_url=f"{sim.url}/api")
    await realto.authenticate()  # now it holds a token too
    texts = [repr(tesla), str(tesla), repr(realto), str(realto)]
    assert texts == [
        f"TeslaClient(base_url='{sim.url}/eu', signs=True)",
        f"TeslaClient(base_url='{sim.url}/eu', signs=True)",
        f"RealtoClient(base_url='{sim.url}/api')",
        f"RealtoClient(base_url='{sim.url}/api')",
    ]
    assert not [secret for secret in world_secrets(sim.world) if any(secret in text for text in texts)]
    assert not any(key.private_pem().decode() in text for text in texts)
