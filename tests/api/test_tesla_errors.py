"""Every error class, reached over HTTP: the simulator's native answers and injected faults.

The exception type is checked exactly (a subclass does not pass), and nothing may leak
as a bare aiohttp or JSON exception.
"""

from __future__ import annotations

from collections.abc import Callable
import json
import socket
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import (
    ApiError,
    BadRequest,
    BillingLimitReached,
    ConnectionFailed,
    Forbidden,
    InvalidToken,
    LoginRequired,
    MalformedResponse,
    MissingScope,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
    SigningRequired,
    TokenExpired,
    VehicleUnavailable,
    WrongRegion,
)
from custom_components.ev_charge_control.api.tesla import TeslaClient, raise_for_status

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import mark, raises_exactly, sent_since, static_token

ClientFactory = Callable[..., TeslaClient]
UNKNOWN_VIN = "5YJ3E1EA0KF999999"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(),
        vehicle_spec(vin=VIN2, id=100002, state="asleep", command_signing="required"),
    )


# --------------------------------------------------------------- native answers
async def test_unknown_token_is_invalid_token(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    client = make_client(token_provider=static_token("not-a-token"))
    with raises_exactly(InvalidToken) as info:
        await client.list_vehicles()
    assert info.value.status == 401
    assert str(info.value) == "invalid bearer token"


async def test_expired_token_is_token_expired(client: TeslaClient, sim: SimulatorHandle) -> None:
    assert (await sim.call("POST", "/sim/tokens/expire", {"token": ACCESS_TOKEN}))["expired"] == 1
    with raises_exactly(TokenExpired) as info:
        await client.vehicle(VIN)
    assert info.value.status == 401


async def test_token_without_the_scope_is_missing_scope(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    issued = await sim.call(
        "POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {"scopes": ["openid", "offline_access", "user_data"]}
    )
    client = make_client(token_provider=static_token(issued["access_token"]))
    assert (await client.account()).account_id == ACCOUNT_ID
    with raises_exactly(MissingScope) as info:
        await client.list_vehicles()
    assert info.value.status == 403
    with raises_exactly(MissingScope):
        await client.charge_start(VIN)


async def test_unsigned_command_to_a_car_that_needs_signing(
    client: TeslaClient, sim: SimulatorHandle
) -> None:
    await sim.vehicle(VIN2, action="state", state="online")
    with raises_exactly(SigningRequired) as info:
        await client.charge_stop(VIN2)
    assert info.value.status == 403
    assert "Vehicle Command Protocol required" in str(info.value)


async def test_unknown_vehicle_is_not_found(client: TeslaClient) -> None:
    with raises_exactly(NotFound) as info:
        await client.vehicle(UNKNOWN_VIN)
    assert info.value.status == 404
    assert str(info.value) == "not_found: Vehicle not found"
    with raises_exactly(NotFound):
        await client.charge_start(UNKNOWN_VIN)


async def test_asleep_car_is_vehicle_unavailable(client: TeslaClient, sim: SimulatorHandle) -> None:
    await sim.vehicle(VIN, action="state", state="asleep")
    seq = await mark(sim)
    with raises_exactly(VehicleUnavailable) as info:
        await client.vehicle_data(VIN)
    assert info.value.status == 408
    assert str(info.value) == "vehicle unavailable: vehicle is offline or asleep"
    with raises_exactly(VehicleUnavailable):
        await client.set_charge_limit(VIN, 90)
    assert [(r["category"], r["status"]) for r in await sent_since(sim, seq)] == [
        ("data", 408),
        ("command", 408),
    ]
    # The car stays asleep: a 408 does not wake it.
    assert (await sim.vehicle(VIN))["state"] == "asleep"


class TestWrongRegion:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(region="eu")

    async def test_europe_account_on_the_north_america_host(
        self, make_client: ClientFactory, sim: SimulatorHandle
    ) -> None:
        client = make_client()
        with raises_exactly(WrongRegion) as info:
            await client.list_vehicles()
        assert info.value.status == 421
        assert info.value.base_url == f"{sim.url}/eu"
        # The base URL it names works.
        client.base_url = info.value.base_url + "/"
        assert client.base_url == f"{sim.url}/eu"
        assert [v.vin for v in await client.list_vehicles()] == [VIN]


# ---------------------------------------------------------------------- faults
@pytest.mark.parametrize(
    ("kind", "error", "status"),
    [
        ("token_expired", TokenExpired, 401),
        ("invalid_token", InvalidToken, 401),
        ("missing_scope", MissingScope, 403),
        ("signing_required", SigningRequired, 403),
        ("billing_limit", BillingLimitReached, 402),
        ("account_disabled", BillingLimitReached, 403),
        ("not_found", NotFound, 404),
        ("vehicle_unavailable", VehicleUnavailable, 408),
        ("server_error", ServerError, 500),
        ("service_unavailable", ServerError, 503),
        ("html_error", ServerError, 502),
        ("malformed", MalformedResponse, 200),
    ],
)
async def test_preset_faults(
    client: TeslaClient, sim: SimulatorHandle, kind: str, error: type[ApiError], status: int
) -> None:
    await sim.fault(kind=kind, path="/command/", count=1)
    with raises_exactly(error) as info:
        await client.charge_start(VIN)
    assert info.value.status == status
    # The fault answered alone: the car never saw the command.
    assert (await sim.vehicle(VIN))["charge_state"]["charging_state"] == "Stopped"


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            400,
            {"response": {"result": False, "reason": "invalid percent param"}, "error": ""},
            BadRequest,
            "invalid percent param",
        ),
        (
            400,
            {"response": None, "error": "invalid_command", "error_description": ""},
            BadRequest,
            "invalid_command",
        ),
        (
            400,
            {"response": {"result": False, "string": "invalid percent param"}},
            BadRequest,
            "invalid percent param",
        ),
        (400, {"response": {"result": False}}, BadRequest, '{"response": {"result": false}}'),
        (401, "", InvalidToken, "no details"),
        (401, {"error": "mobile_access_disabled"}, InvalidToken, "mobile_access_disabled"),
        (
            401,
            {"error": "login_required", "error_description": "Login required"},
            LoginRequired,
            "login_required: Login required",
        ),
        (403, {"response": None, "error": "unsupported vehicle"}, Forbidden, "unsupported vehicle"),
        (403, {"error": "invalid_scope"}, MissingScope, "invalid_scope"),
        (403, "", Forbidden, "no details"),
        (405, {"response": None, "error": "invalid_method"}, ApiError, "invalid_method"),
        (406, {"response": None, "error": "not_a_JSON_request"}, ApiError, "not_a_JSON_request"),
        (423, "", ApiError, "no details"),
        (451, "<html>legal</html>", ApiError, "<html>legal</html>"),
        (
            500,
            {"response": None, "error": "vehicle unavailable: vehicle is offline or asleep"},
            VehicleUnavailable,
            "vehicle unavailable: vehicle is offline or asleep",
        ),
        (504, "", ServerError, "no details"),
        (
            540,
            {"response": None, "error": "device unexpected response"},
            ServerError,
            "device unexpected response",
        ),
    ],
)
async def test_status_answers(
    client: TeslaClient,
    sim: SimulatorHandle,
    status: int,
    body: Any,
    error: type[ApiError],
    message: str,
) -> None:
    await sim.fault(kind="status", status=status, body=body, path="/vehicle_data", count=1)
    with raises_exactly(error) as info:
        await client.vehicle_data(VIN)
    assert info.value.status == status
    assert str(info.value) == message


async def test_rate_limited_reads_retry_after(client: TeslaClient, sim: SimulatorHandle) -> None:
    await sim.fault(kind="rate_limit", retry_after=45, path="/vehicle_data", count=1)
    with raises_exactly(RateLimited) as info:
        await client.vehicle_data(VIN)
    assert info.value.retry_after == 45.0
    assert info.value.status == 429
    assert str(info.value) == "Retry in 45 seconds"


async def test_rate_limited_plain_text_body_without_header(client: TeslaClient, sim: SimulatorHandle) -> None:
    # Tesla has answered 429 with only a text body.
    await sim.fault(kind="status", status=429, body="Retry in 45509 seconds\n", path="/vehicle_data", count=1)
    with raises_exactly(RateLimited) as info:
        await client.vehicle_data(VIN)
    assert info.value.retry_after == 45509.0


@pytest.mark.parametrize(
    ("headers", "body", "retry_after"),
    [
        ({"RateLimit-Reset": "120"}, "", 120.0),
        ({"Retry-After": "2.5"}, "", 2.5),
        # An HTTP date in the past means "now".
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, "", 0.0),
        # Garbage in the header: fall back to the body, then to "unknown".
        ({"Retry-After": "soon"}, "Retry in 30 seconds", 30.0),
        ({"Retry-After": "soon"}, "", None),
        ({"Retry-After": "-5"}, "", 0.0),
        ({"Retry-After": "inf"}, "Retry in 7 seconds", 7.0),
        ({}, {"response": None, "error": "rate limited"}, None),
    ],
)
async def test_rate_limited_retry_after_sources(
    client: TeslaClient, sim: SimulatorHandle, headers: dict[str, str], body: Any, retry_after: float | None
) -> None:
    await sim.fault(kind="status", status=429, body=body, headers=headers, path="/vehicle_data", count=1)
    with raises_exactly(RateLimited) as info:
        await client.vehicle_data(VIN)
    assert info.value.retry_after == retry_after


async def test_rate_limited_future_date(client: TeslaClient, sim: SimulatorHandle) -> None:
    await sim.fault(
        kind="status",
        status=429,
        body="",
        headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"},
        path="/vehicle_data",
        count=1,
    )
    with raises_exactly(RateLimited) as info:
        await client.vehicle_data(VIN)
    assert info.value.retry_after is not None
    assert info.value.retry_after > 365 * 86400


EU = "https://fleet-api.prd.eu.vn.cloud.tesla.com"
NA = "https://fleet-api.prd.na.vn.cloud.tesla.com"


@pytest.mark.parametrize(
    ("headers", "body", "base_url"),
    [
        # The Fleet API names the host in the body...
        ({}, {"error": f"user out of region, use base URL: {EU}, see x"}, EU),
        ({}, {"error": f"user out of region, use base URL: {EU}/"}, EU),
        # ...and in an Alt-Svc header, which tesla-http-proxy reads as "h2=https://<host>".
        ({"Alt-Svc": f"h2={EU}"}, {"error": "user out of region"}, EU),
        # The standard Alt-Svc form: a quoted authority (the default port is dropped).
        (
            {"Alt-Svc": 'h3=":443", h2="fleet-api.prd.eu.vn.cloud.tesla.com:443"; ma=3600'},
            {"error": "user out of region"},
            EU,
        ),
        ({"Alt-Svc": "clear"}, {"error": "user out of region"}, None),
        ({}, "", None),
    ],
)
def test_wrong_region_base_url_sources_on_teslas_host(
    headers: dict[str, str], body: Any, base_url: str | None
) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    with raises_exactly(WrongRegion) as info:
        raise_for_status(421, text, headers, url=f"{NA}/")
    assert info.value.base_url == base_url
    assert info.value.status == 421


@pytest.mark.parametrize(
    "named",
    [
        # Plain http to another machine, and look-alikes of Tesla's hosts.
        "http://attacker.example",
        "http://fleet-api.prd.eu.vn.cloud.tesla.com",
        f"{EU}.evil.example",
        "https://fleet-api.prd.xx.vn.cloud.tesla.com",
        f"{EU}:8443",
        # Not a base URL a path can be appended to.
        f"{EU}/?x=1",
        "https://user@fleet-api.prd.eu.vn.cloud.tesla.com",
        "ftp://fleet-api.prd.eu.vn.cloud.tesla.com",
        "https://[::1",
    ],
)
def test_a_wrong_region_answer_from_tesla_is_followed_to_teslas_hosts_only(named: str) -> None:
    with raises_exactly(WrongRegion) as info:
        raise_for_status(
            421, json.dumps({"error": f"user out of region, use base URL: {named}, see x"}), {}, url=NA
        )
    assert info.value.base_url is None
    assert f"served at {named}, which is not followed" in info.value.message
    assert "check the API URL" in info.value.message


def test_an_alt_svc_to_another_host_is_not_followed() -> None:
    with raises_exactly(WrongRegion) as info:
        raise_for_status(421, "{}", {"Alt-Svc": 'h2="evil.example:443"'}, url=NA)
    assert info.value.base_url is None
    assert "https://evil.example:443" in info.value.message


def test_where_the_request_went_unknown_counts_as_teslas_host() -> None:
    text = json.dumps({"error": f"use base URL: {EU}"})
    with raises_exactly(WrongRegion) as info:
        raise_for_status(421, text, {})
    assert info.value.base_url == EU


@pytest.mark.parametrize("current", ["http://[::1", "relative/path", "", "https://fleet.example"])
def test_from_an_odd_or_custom_base_url_nothing_is_followed(current: str) -> None:
    text = json.dumps({"error": f"use base URL: {EU}"})
    with raises_exactly(WrongRegion) as info:
        raise_for_status(421, text, {}, url=current)
    assert info.value.base_url is None


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"error": f"user out of region, use base URL: {EU}, see x"}),
        ({"Alt-Svc": f"h2={EU}"}, {"error": "user out of region"}),
    ],
)
async def test_a_compatible_service_cannot_send_its_token_to_tesla(
    client: TeslaClient, sim: SimulatorHandle, headers: dict[str, str], body: Any
) -> None:
    """A client on another server (here the simulator) is not moved to Tesla's hosts."""
    await sim.fault(kind="status", status=421, body=body, headers=headers, path="/vehicles", count=1)
    with raises_exactly(WrongRegion) as info:
        await client.list_vehicles()
    assert info.value.base_url is None
    assert info.value.status == 421
    assert "not followed" in info.value.message


async def test_wrong_region_fault_points_at_europe(client: TeslaClient, sim: SimulatorHandle) -> None:
    await sim.fault(kind="wrong_region", path="/vehicles", count=1)
    with raises_exactly(WrongRegion) as info:
        await client.list_vehicles()
    assert info.value.base_url == f"{sim.url}/eu"


# ----------------------------------------------------------- transport failures
async def test_hang_is_request_timeout(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    client = make_client(request_timeout=0.2)
    await sim.fault(kind="hang", seconds=5, path="/vehicle_data", count=1)
    with raises_exactly(RequestTimeout) as info:
        await client.vehicle_data(VIN)
    assert info.value.status is None
    assert isinstance(info.value.__cause__, TimeoutError)


async def test_disconnect_is_connection_failed(client: TeslaClient, sim: SimulatorHandle) -> None:
    await sim.fault(kind="disconnect", path="/command/", count=1)
    with raises_exactly(ConnectionFailed) as info:
        await client.charge_start(VIN)
    assert isinstance(info.value.__cause__, aiohttp.ClientError)


async def test_disconnect_on_every_attempt_of_a_get(client: TeslaClient, sim: SimulatorHandle) -> None:
    # aiohttp resends an idempotent request once when a kept-alive connection drops, so
    # a GET fails only when the server drops it every time.
    await client.vehicle(VIN)
    await sim.fault(kind="disconnect", path="/vehicle_data")
    with raises_exactly(ConnectionFailed):
        await client.vehicle_data(VIN)
    assert client.costs.for_vehicle(VIN).billed["data"] == 0


async def test_closed_port_is_connection_failed(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    client = TeslaClient(session, static_token(), base_url=f"http://127.0.0.1:{port}")
    with raises_exactly(ConnectionFailed) as info:
        await client.list_vehicles()
    assert f"127.0.0.1:{port}" in str(info.value)


async def test_invalid_base_url_is_connection_failed(session: aiohttp.ClientSession) -> None:
    client = TeslaClient(session, static_token(), base_url="http://")
    with raises_exactly(ConnectionFailed):
        await client.list_vehicles()


# --------------------------------------------------------- malformed answers
@pytest.mark.parametrize(
    "body",
    [
        '{"response": {"result": tru',
        "ok",
        "",
        '{"no_response": 1}',
        "[1, 2]",
        '"response"',
    ],
)
async def test_answers_that_are_not_the_envelope(
    client: TeslaClient, sim: SimulatorHandle, body: str
) -> None:
    await sim.fault(kind="status", status=200, body=body, path="/vehicles$", count=1)
    with raises_exactly(MalformedResponse) as info:
        await client.list_vehicles()
    assert info.value.status == 200


@pytest.mark.parametrize(
    ("method", "args", "path", "response"),
    [
        ("account", (), "/users/me", []),
        ("list_vehicles", (), "/vehicles$", {"vin": VIN}),
        ("vehicle", (VIN,), f"/vehicles/{VIN}$", [VIN]),
        ("vehicle_data", (VIN,), "/vehicle_data", "charge_state"),
        ("wake_up", (VIN,), "/wake_up", None),
        ("charge_start", (VIN,), "/command/", None),
        ("charge_start", (VIN,), "/command/", {"reason": ""}),
        ("charge_start", (VIN,), "/command/", [True]),
    ],
)
async def test_answers_of_the_wrong_shape(
    client: TeslaClient, sim: SimulatorHandle, method: str, args: tuple[Any, ...], path: str, response: Any
) -> None:
    await sim.fault(kind="status", status=200, body={"response": response}, path=path, count=1)
    with raises_exactly(MalformedResponse):
        await getattr(client, method)(*args)


async def test_malformed_numbers_do_not_crash_the_models(client: TeslaClient, sim: SimulatorHandle) -> None:
    # Python's JSON reader accepts Infinity and NaN; they must read as "unknown".
    charge = {"battery_level": float("inf"), "charge_limit_soc": float("nan"), "charger_power": "x"}
    body = json.dumps({"response": {"vin": VIN, "state": "online", "charge_state": charge}})
    assert "Infinity" in body
    await sim.fault(kind="status", status=200, body=body, path="/vehicle_data", count=1)
    data = await client.vehicle_data(VIN)
    assert data.charge_state is not None
    assert data.charge_state.battery_level is None
    assert data.charge_state.charge_limit_soc is None
    assert data.charge_state.charger_power is None


# ------------------------------------------------------------- 401 and retry
class TokenQueue:
    """Hands out tokens in order and records what the client reported as rejected."""

    def __init__(self, *tokens: str) -> None:
        self.tokens = list(tokens)
        self.handed_out: list[str] = []
        self.rejected: list[str] = []

    async def provide(self) -> str:
        token = self.tokens.pop(0) if len(self.tokens) > 1 else self.tokens[0]
        self.handed_out.append(token)
        return token

    async def unauthorized(self, token: str) -> None:
        self.rejected.append(token)


async def test_unauthorized_is_retried_once_with_a_fresh_token(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    tokens = TokenQueue("stale-token", ACCESS_TOKEN)
    client = make_client(token_provider=tokens.provide, on_unauthorized=tokens.unauthorized)
    seq = await mark(sim)
    assert await client.set_charge_limit(VIN, 90)
    assert tokens.rejected == ["stale-token"]
    assert tokens.handed_out == ["stale-token", ACCESS_TOKEN]
    records = await sent_since(sim, seq)
    assert [(r["status"], r["body"]) for r in records] == [(401, {"percent": 90}), (200, {"percent": 90})]
    assert (await sim.vehicle(VIN))["charge_state"]["charge_limit_soc"] == 90


async def test_expired_token_is_retried_once(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    issued = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {"expires_in": 60})
    tokens = TokenQueue(issued["access_token"], ACCESS_TOKEN)
    client = make_client(token_provider=tokens.provide, on_unauthorized=tokens.unauthorized)
    sim.advance(120)
    assert (await client.vehicle(VIN)).vin == VIN
    assert tokens.rejected == [issued["access_token"]]


async def test_unauthorized_twice_is_not_looped(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    tokens = TokenQueue("stale-token", "still-stale")
    client = make_client(token_provider=tokens.provide, on_unauthorized=tokens.unauthorized)
    await sim.fault(kind="token_expired", path="/vehicle_data")
    seq = await mark(sim)
    with raises_exactly(TokenExpired):
        await client.vehicle_data(VIN)
    assert tokens.rejected == ["stale-token"]
    assert [r["status"] for r in await sent_since(sim, seq)] == [401, 401]


async def test_second_answer_decides_after_the_retry(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    tokens = TokenQueue("stale-token", "unknown-token")
    client = make_client(token_provider=tokens.provide, on_unauthorized=tokens.unauthorized)
    with raises_exactly(InvalidToken):
        await client.list_vehicles()
    assert tokens.rejected == ["stale-token"]


async def test_login_required_is_not_retried(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    tokens = TokenQueue(ACCESS_TOKEN)
    client = make_client(token_provider=tokens.provide, on_unauthorized=tokens.unauthorized)
    await sim.fault(kind="status", status=401, body={"error": "login_required"}, path="/vehicles$", count=1)
    seq = await mark(sim)
    with raises_exactly(LoginRequired):
        await client.list_vehicles()
    assert tokens.rejected == []
    assert len(await sent_since(sim, seq)) == 1


async def test_without_a_handler_unauthorized_is_raised_at_once(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    client = make_client(token_provider=static_token("stale-token"))
    seq = await mark(sim)
    with raises_exactly(InvalidToken):
        await client.list_vehicles()
    assert len(await sent_since(sim, seq)) == 1


async def test_other_errors_are_not_retried(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    tokens = TokenQueue(ACCESS_TOKEN)
    client = make_client(token_provider=tokens.provide, on_unauthorized=tokens.unauthorized)
    await sim.fault(kind="server_error", path="/vehicles$", count=1)
    with raises_exactly(ServerError):
        await client.list_vehicles()
    assert tokens.rejected == []
    assert tokens.handed_out == [ACCESS_TOKEN]


# ------------------------------------------------------------------ the taxonomy
def test_every_exported_error_is_an_api_error() -> None:
    from custom_components.ev_charge_control import api

    errors = [getattr(api, name) for name in api.__all__ if isinstance(getattr(api, name), type)]
    errors = [cls for cls in errors if issubclass(cls, BaseException)]
    assert len(errors) == 32  # ApiError and its 31 subclasses
    assert all(issubclass(cls, ApiError) for cls in errors)


def test_error_attributes() -> None:
    from datetime import UTC, datetime

    from custom_components.ev_charge_control.api import (
        CommandRefused,
        CommunicationError,
        CooldownActive,
        WakeTimeout,
    )

    assert issubclass(RequestTimeout, CommunicationError)
    assert issubclass(ConnectionFailed, CommunicationError)
    assert issubclass(WakeTimeout, VehicleUnavailable)
    assert WrongRegion("x", base_url="https://eu").status == 421
    assert RateLimited("x", retry_after=None).status == 429
    refused = CommandRefused("charge_start", "")
    assert (str(refused), refused.reason, refused.status) == (
        "charge_start refused: no reason given",
        "",
        None,
    )
    when = datetime(2026, 1, 1, tzinfo=UTC)
    cooldown = CooldownActive("wait", allowed_at=when, status=429)
    assert (cooldown.allowed_at, cooldown.status, cooldown.message) == (when, 429, "wait")
