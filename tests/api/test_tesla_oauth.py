"""Tokens: the OAuth endpoint and single-use refresh tokens.

Tesla refresh tokens are single use: a refresh answers a new one, and a spent one
answers ``login_required``.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from custom_components.ev_charge_control.api import (
    AuthenticationError,
    ConnectionFailed,
    LoginRequired,
    MalformedResponse,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from custom_components.ev_charge_control.api.tesla import TeslaClient, TeslaOAuth, TokenSet

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, REFRESH_TOKEN, VIN, SimulatorHandle
from .support import raises_exactly, sent_since

TOKEN_PATH = "/oauth2/v3/token"
CLIENT_ID = "ev-charge-control-test"
REDIRECT_URI = "https://example.invalid/auth/external/callback"
TESLA_LIFETIME = 8 * 3600


def token_url(sim: SimulatorHandle) -> str:
    return f"{sim.url}{TOKEN_PATH}"


@pytest.fixture
def oauth(sim: SimulatorHandle, session: aiohttp.ClientSession) -> TeslaOAuth:
    return TeslaOAuth(session, CLIENT_ID, token_url=token_url(sim))


def form_of(record: dict[str, Any]) -> dict[str, str]:
    """The form the simulator logged for a token request."""
    assert record["path"] == TOKEN_PATH
    return {key: values[0] for key, values in parse_qs(record["body"], strict_parsing=True).items()}


async def token_requests(sim: SimulatorHandle, since: int = 0) -> list[dict[str, Any]]:
    return [r for r in await sent_since(sim, since) if r["path"] == TOKEN_PATH]


async def works(sim: SimulatorHandle, session: aiohttp.ClientSession, access_token: str) -> bool:
    """Whether the API accepts ``access_token``."""

    async def provider() -> str:
        return access_token

    client = TeslaClient(session, provider, base_url=sim.url)
    return [v.vin for v in await client.list_vehicles()] == [VIN]


# ----------------------------------------------------------------- TeslaOAuth
async def test_refresh_rotates_the_refresh_token(
    oauth: TeslaOAuth, sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    before = time.time()
    tokens = await oauth.refresh(REFRESH_TOKEN)
    after = time.time()
    assert tokens.refresh_token != REFRESH_TOKEN
    assert tokens.access_token != ACCESS_TOKEN
    assert before + TESLA_LIFETIME <= tokens.expires_at <= after + TESLA_LIFETIME
    [record] = await token_requests(sim)
    assert record["method"] == "POST"
    assert form_of(record) == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        # The log shows a marker for the secret: the same marker, the same token.
        "refresh_token": sim.world.recorder.redacted(REFRESH_TOKEN),
    }
    assert await works(sim, session, tokens.access_token)
    # The token endpoint is not billed.
    billing = await sim.call("GET", "/sim/billing")
    assert billing["cost_usd"] == 0


async def test_a_spent_refresh_token_answers_login_required(oauth: TeslaOAuth, sim: SimulatorHandle) -> None:
    first = await oauth.refresh(REFRESH_TOKEN)
    with raises_exactly(LoginRequired) as info:
        await oauth.refresh(REFRESH_TOKEN)
    assert info.value.status == 401
    assert str(info.value) == "login_required"
    # The rotated one still works, once.
    second = await oauth.refresh(first.refresh_token)
    with raises_exactly(LoginRequired):
        await oauth.refresh(first.refresh_token)
    assert second.refresh_token not in (first.refresh_token, REFRESH_TOKEN)


async def test_refresh_expiry_follows_the_given_clock(oauth: TeslaOAuth) -> None:
    tokens = await oauth.refresh(REFRESH_TOKEN, now=1000.0)
    assert tokens.expires_at == 1000.0 + TESLA_LIFETIME


async def test_client_secret_is_sent_when_configured(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    oauth = TeslaOAuth(session, CLIENT_ID, client_secret="s3cret", token_url=token_url(sim))
    await oauth.refresh(REFRESH_TOKEN)
    [record] = await token_requests(sim)
    assert form_of(record)["client_secret"] == sim.world.recorder.redacted("s3cret")


def pkce_pair() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(b"v" * 48).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def authorize(sim: SimulatorHandle, session: aiohttp.ClientSession, challenge: str) -> dict[str, str]:
    """Follow the simulator's consent page to its redirect; return the callback's query."""
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid offline_access user_data vehicle_device_data vehicle_charging_cmds",
        "state": "state-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    async with session.get(f"{sim.url}/oauth2/v3/authorize", params=query, allow_redirects=False) as response:
        assert response.status == 302
        location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def test_exchange_code_with_pkce(
    oauth: TeslaOAuth, sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    verifier, challenge = pkce_pair()
    callback = await authorize(sim, session, challenge)
    assert callback["state"] == "state-123"
    assert callback["code"].startswith("NA_")
    tokens = await oauth.exchange_code(
        callback["code"], REDIRECT_URI, code_verifier=verifier, audience=sim.url
    )
    [record] = await token_requests(sim)
    assert form_of(record) == {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": sim.world.recorder.redacted(callback["code"]),
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        "audience": sim.url,
    }
    assert await works(sim, session, tokens.access_token)
    # The refresh token from the exchange rotates like any other.
    assert (await oauth.refresh(tokens.refresh_token)).access_token != tokens.access_token


async def test_exchange_code_without_pkce_sends_no_verifier(
    oauth: TeslaOAuth, sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    callback = await authorize(sim, session, "unused")
    await oauth.exchange_code(callback["code"], REDIRECT_URI)
    [record] = await token_requests(sim)
    assert "code_verifier" not in form_of(record)
    assert "audience" not in form_of(record)


async def test_a_used_code_is_refused(
    oauth: TeslaOAuth, sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    callback = await authorize(sim, session, "unused")
    await oauth.exchange_code(callback["code"], REDIRECT_URI)
    with raises_exactly(AuthenticationError) as info:
        await oauth.exchange_code(callback["code"], REDIRECT_URI)
    assert info.value.status == 400
    assert str(info.value) == "invalid_auth_code"


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (400, {"error": "invalid_grant"}, LoginRequired, "invalid_grant"),
        (401, "", LoginRequired, "refresh token rejected"),
        (401, {"error": "invalid_client"}, LoginRequired, "invalid_client"),
        (400, {"error": "unauthorized_client"}, AuthenticationError, "unauthorized_client"),
        (400, {"error": 7}, ServerError, "token endpoint refused (400)"),
        # Not an OAuth answer (a proxy's or firewall's page): the refresh token is unspent.
        (400, "<html>nope</html>", ServerError, "token endpoint refused (400)"),
        (403, ["error"], ServerError, "token endpoint refused (403)"),
        (408, {"error": "timeout"}, RequestTimeout, "the token endpoint timed out (408)"),
        (500, {"error": "internal"}, ServerError, "token endpoint failed (500)"),
        (503, "", ServerError, "token endpoint failed (503)"),
        (200, "not json", MalformedResponse, None),
        (200, "", MalformedResponse, None),
        (200, ["access_token"], MalformedResponse, None),
        (200, {"access_token": "a"}, MalformedResponse, None),
        (200, {"access_token": None, "refresh_token": "r"}, MalformedResponse, None),
        (200, {"access_token": "a", "refresh_token": ""}, MalformedResponse, None),
        (200, {"access_token": "a", "refresh_token": "r", "expires_in": "soon"}, MalformedResponse, None),
        (200, {"access_token": "a", "refresh_token": "r", "expires_in": None}, MalformedResponse, None),
    ],
)
async def test_token_endpoint_answers(
    oauth: TeslaOAuth,
    sim: SimulatorHandle,
    status: int,
    body: Any,
    error: type[Exception],
    message: str | None,
) -> None:
    await sim.fault(kind="status", status=status, body=body, path=TOKEN_PATH, count=1)
    with raises_exactly(error) as info:
        await oauth.refresh(REFRESH_TOKEN)
    if message is not None:
        assert str(info.value) == message


@pytest.mark.parametrize(
    ("headers", "body", "retry_after"),
    [({"Retry-After": "30"}, "", 30.0), ({}, "Retry in 12 seconds", 12.0), ({}, "", None)],
)
async def test_a_rate_limited_refresh_says_when_to_ask_again(
    oauth: TeslaOAuth, sim: SimulatorHandle, headers: dict[str, str], body: str, retry_after: float | None
) -> None:
    """A 429 is not a refusal: the refresh token is unspent and works once the wait is over."""
    await sim.fault(kind="status", status=429, headers=headers, body=body, path=TOKEN_PATH, count=1)
    with raises_exactly(RateLimited) as info:
        await oauth.refresh(REFRESH_TOKEN)
    assert isinstance(info.value, RateLimited)
    assert (info.value.status, info.value.retry_after) == (429, retry_after)
    assert (await oauth.refresh(REFRESH_TOKEN)).refresh_token != REFRESH_TOKEN


async def test_expires_in_defaults_to_eight_hours(oauth: TeslaOAuth, sim: SimulatorHandle) -> None:
    await sim.fault(
        kind="status", status=200, body={"access_token": "a", "refresh_token": "r"}, path=TOKEN_PATH, count=1
    )
    tokens = await oauth.refresh(REFRESH_TOKEN, now=0.0)
    assert tokens == TokenSet("a", "r", float(TESLA_LIFETIME))


async def test_token_endpoint_timeout(sim: SimulatorHandle, session: aiohttp.ClientSession) -> None:
    oauth = TeslaOAuth(session, CLIENT_ID, token_url=token_url(sim), request_timeout=0.2)
    await sim.fault(kind="hang", seconds=5, path=TOKEN_PATH, count=1)
    with raises_exactly(RequestTimeout):
        await oauth.refresh(REFRESH_TOKEN)


async def test_token_endpoint_disconnect(oauth: TeslaOAuth, sim: SimulatorHandle) -> None:
    await sim.fault(kind="disconnect", path=TOKEN_PATH, count=1)
    with raises_exactly(ConnectionFailed):
        await oauth.refresh(REFRESH_TOKEN)


async def test_token_endpoint_closed_port(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    oauth = TeslaOAuth(session, CLIENT_ID, token_url=f"http://127.0.0.1:{port}{TOKEN_PATH}")
    with raises_exactly(ConnectionFailed):
        await oauth.refresh(REFRESH_TOKEN)


def test_token_set_as_dict() -> None:
    tokens = TokenSet("a", "r", 12.5)
    assert tokens.as_dict() == {"access_token": "a", "refresh_token": "r", "expires_at": 12.5}


def test_a_token_sets_repr_leaves_the_tokens_out() -> None:
    tokens = TokenSet("access-secret-0123", "refresh-secret-4567", 12.5)
    for text in (repr(tokens), str(tokens), f"{tokens!r}", repr([tokens])):
        assert "access-secret-0123" not in text
        assert "refresh-secret-4567" not in text
        assert "12.5" in text


async def test_tokens_issued_by_the_admin_api_work(
    oauth: TeslaOAuth, sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    issued = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {})
    tokens = await oauth.refresh(issued["refresh_token"])
    assert await works(sim, session, tokens.access_token)
