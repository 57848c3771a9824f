"""Setting signing up against the simulator: partner token, registration, pairing,
``fleet_status``, and then a signed command with the key Tesla holds for the domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import (
    ApiError,
    AuthenticationError,
    InvalidArgument,
    InvalidClient,
    PartnerDomainRejected,
    RateLimited,
    RequestTimeout,
    WrongRegion,
)
from custom_components.ev_charge_control.api.tesla import (
    CommandResult,
    TeslaClient,
    partner_token,
    register_partner,
)
from custom_components.ev_charge_control.api.tesla.signing import InMemorySessionStore, SigningKey

from ..helpers import ACCESS_TOKEN, REFRESH_TOKEN, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import mark, sent_since

KEY = SigningKey.generate()
CLIENT_ID = "my-app"
CLIENT_SECRET = "my-app-secret-value"
DOMAIN = "ha.example.com"
SCOPES = ("openid", "vehicle_device_data", "vehicle_cmds", "vehicle_charging_cmds")


@pytest.fixture
def scenario() -> dict[str, Any]:
    spec = account_spec(
        vehicle_spec(command_signing="required", firmware="2025.20.6 4c5ad9d1b3a0"),
        vehicle_spec(vin=VIN2, id=100002, command_signing="required"),
        tokens=[{"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "client_id": CLIENT_ID}],
    )
    spec["tesla"]["apps"] = [
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "allowed_origins": ["https://www.example.com"],
        }
    ]
    return spec


def token_url(sim: SimulatorHandle) -> str:
    return f"{sim.url}/oauth2/v3/token"


async def get_token(sim: SimulatorHandle, session: aiohttp.ClientSession) -> str:
    return await partner_token(session, token_url(sim), CLIENT_ID, CLIENT_SECRET, sim.url, SCOPES)


async def host_key(sim: SimulatorHandle, domain: str = DOMAIN, key: SigningKey = KEY) -> None:
    await sim.call("POST", "/sim/partner/hosted_keys", {"domain": domain, "pem": key.public_pem().decode()})


async def pair(sim: SimulatorHandle, session: aiohttp.ClientSession, vin: str = VIN) -> None:
    async with session.post(f"{sim.url}/_ak/{DOMAIN}", data={"vin": vin}) as response:
        assert response.status == 200
        assert "Key added" in await response.text()


def assert_not_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in caplog.text


# -------------------------------------------------------------------- the token
async def test_partner_token_by_client_credentials(
    sim: SimulatorHandle, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    seq = await mark(sim)
    token = await get_token(sim, session)
    assert token
    (record,) = await sent_since(sim, seq)
    assert record["path"] == "/oauth2/v3/token"
    assert record["method"] == "POST"
    assert_not_logged(caplog, token, CLIENT_SECRET)


async def test_a_wrong_secret_is_invalid_client(
    sim: SimulatorHandle, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(InvalidClient) as info:
        await partner_token(session, token_url(sim), CLIENT_ID, "wrong-secret-value", sim.url, SCOPES)
    assert isinstance(info.value, AuthenticationError)
    assert info.value.status == 401
    assert "wrong-secret-value" not in str(info.value)
    assert_not_logged(caplog, "wrong-secret-value")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"error": "invalid_scope"}, AuthenticationError),
        (400, {"error": "unauthorized_client"}, InvalidClient),
        (503, {"error": "down"}, ApiError),
        (429, {"error": "too_many_requests"}, RateLimited),
        (408, {"error": "timeout"}, RequestTimeout),
        (200, {"token_type": "Bearer"}, ApiError),
        (200, "not json", ApiError),
    ],
)
async def test_token_endpoint_failures(
    sim: SimulatorHandle, session: aiohttp.ClientSession, status: int, body: Any, error: type[Exception]
) -> None:
    await sim.fault(kind="status", status=status, body=body, path="/oauth2/v3/token", count=1)
    with pytest.raises(error):
        await get_token(sim, session)


# -------------------------------------------------------------- registration
async def test_register_returns_the_key_tesla_holds(
    sim: SimulatorHandle, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await get_token(sim, session)
    await host_key(sim)
    held = await register_partner(session, sim.url, token, DOMAIN)
    assert held.lower() == KEY.public_hex()
    assert_not_logged(caplog, token)


async def test_a_domain_outside_the_allowed_origins_is_rejected(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    token = await get_token(sim, session)
    await host_key(sim, "elsewhere.org")
    with pytest.raises(PartnerDomainRejected) as info:
        await register_partner(session, sim.url, token, "elsewhere.org")
    assert info.value.status == 412
    assert token not in str(info.value)


async def test_an_unreachable_key_is_an_api_error(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    token = await get_token(sim, session)
    with pytest.raises(ApiError) as info:
        await register_partner(session, sim.url, token, "nokey.example.com")
    assert info.value.status == 424
    assert "public key" in info.value.message


async def test_wrong_region_names_the_right_one(sim: SimulatorHandle, session: aiohttp.ClientSession) -> None:
    token = await get_token(sim, session)
    await sim.fault(kind="wrong_region", path="/partner_accounts", count=1)
    with pytest.raises(WrongRegion) as info:
        await register_partner(session, sim.url, token, DOMAIN)
    assert info.value.base_url == f"{sim.url}/eu"


async def test_a_user_token_cannot_register(sim: SimulatorHandle, session: aiohttp.ClientSession) -> None:
    await host_key(sim)
    with pytest.raises(ApiError) as info:
        await register_partner(session, sim.url, ACCESS_TOKEN, DOMAIN)
    assert info.value.status == 403
    assert ACCESS_TOKEN not in str(info.value)


async def test_a_registration_answer_without_a_key(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    await sim.fault(
        kind="status", status=200, body={"response": {"domain": DOMAIN}}, path="/partner_accounts"
    )
    with pytest.raises(ApiError, match="no public key"):
        await register_partner(session, sim.url, "partner-token-value", DOMAIN)


# ------------------------------------------------- pairing, fleet_status, commands
async def test_from_registration_to_a_signed_command(
    sim: SimulatorHandle, session: aiohttp.ClientSession, make_client: Callable[..., TeslaClient]
) -> None:
    client = make_client(signing_key=KEY, session_store=InMemorySessionStore())
    token = await get_token(sim, session)
    await host_key(sim)
    await register_partner(session, sim.url, token, DOMAIN)

    status = await client.fleet_status([VIN, VIN2])
    assert status.key_paired_vins == frozenset()
    assert status.unpaired_vins == {VIN, VIN2}

    await pair(sim, session)  # the owner opens tesla.com/_ak/<domain> and adds the key
    seq = await mark(sim)
    status = await client.fleet_status([VIN, VIN2])
    assert status.key_paired_vins == {VIN}
    assert status.unpaired_vins == {VIN2}
    info = status.vehicle_info[VIN]
    assert info.firmware_version == "2025.20.6"
    assert info.vehicle_command_protocol_required is True
    (record,) = await sent_since(sim, seq)
    assert (record["path"], record["body"], record["category"]) == (
        "/api/1/vehicles/fleet_status",
        {"vins": [VIN, VIN2]},
        "free",
    )
    assert client.costs.total.cost_usd == 0  # free: nothing wakes, nothing billed

    client.set_command_signing(VIN, True)
    assert await client.set_charge_limit(VIN, 90) == CommandResult("set_charge_limit", "")
    assert (await sim.vehicle(VIN))["charge_state"]["charge_limit_soc"] == 90


async def test_fleet_status_takes_one_vin_as_text(sim: SimulatorHandle, client: TeslaClient) -> None:
    status = await client.fleet_status(VIN)
    assert status.unpaired_vins == {VIN}


@pytest.mark.parametrize("vins", [[], [""], [VIN, None], ["  "]])
async def test_fleet_status_checks_the_vins(
    sim: SimulatorHandle, client: TeslaClient, vins: list[Any]
) -> None:
    seq = await mark(sim)
    with pytest.raises(InvalidArgument, match="vins"):
        await client.fleet_status(vins)
    assert await sent_since(sim, seq) == []


async def test_fleet_status_answer_must_be_an_object(sim: SimulatorHandle, client: TeslaClient) -> None:
    await sim.fault(kind="status", status=200, body={"response": []}, path="/fleet_status", count=1)
    with pytest.raises(ApiError, match="fleet_status"):
        await client.fleet_status([VIN])
