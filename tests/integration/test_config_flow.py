"""The config flow: Tesla by access token or by OAuth, the cars, reauth and reconfigure.

Every flow runs through ``hass.config_entries.flow`` as Home Assistant runs it, against
the simulator over HTTP.  OAuth goes as a browser would: the simulator's authorize page
(which consents at once), Home Assistant's own callback view, then the token exchange.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
import hashlib
import json
from pathlib import Path
import ssl
import time
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.ev_charge_control.api.tesla.const import (
    AUTHORIZE_URL,
    BASE_URL_CN,
    BASE_URL_EU,
    BASE_URL_NA,
    SCOPES,
)
from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_CA_FILE,
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_PROXY_URL,
    CONF_VEHICLES,
    DOMAIN,
    ENV_TESLA_AUTH_URL,
    PROVIDER_TESLA,
)
from custom_components.ev_charge_control.flow_base import valid_api_url
from custom_components.ev_charge_control.tesla_token import region_base_url, token_claims
from simulator import World, create_app
from simulator.scenario import load_fixture
from simulator.tesla.vehicle import SimVehicle

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from ..tls import write_certificate
from .common import (
    AUTH_DOMAIN,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    ClientFactory,
    add_oauth_entry,
    browser_sign_in,
    closed_port_url,
    configure,
    last_seq,
    schema_fields,
    start,
    tick,
)
from .fault_matrix import assert_translated, setup_error

VIN3 = "5YJ3E1EA7KF000003"
VIN_EU = "LRW3E7FS0PC000004"
VIN_NEW = "5YJ3E1EA7KF000005"
TWO_CARS_ID = "6f6a7d30-0000-4000-8000-000000000002"
TWO_CARS_TOKEN = "two-cars-token"
NO_CARS_ID = "6f6a7d30-0000-4000-8000-000000000003"
NO_CARS_TOKEN = "no-cars-token"
EU_ID = "6f6a7d30-0000-4000-8000-000000000004"
EU_TOKEN = "eu-token"
# An opaque token of the first account that grants nothing: only the server can tell.
NO_SCOPE_TOKEN = "no-scope-token"


@pytest.fixture
def scenario() -> dict[str, Any]:
    """Four accounts: one car (the first, which OAuth signs in to), two cars, none, and one in Europe."""
    spec = account_spec()
    first = spec["tesla"]["accounts"][0]
    first["tokens"].append({"access_token": NO_SCOPE_TOKEN, "scopes": ["openid"]})
    spec["tesla"]["accounts"] += [
        {
            "id": TWO_CARS_ID,
            "email": "two@example.com",
            "full_name": "Two Cars",
            "tokens": [{"access_token": TWO_CARS_TOKEN}],
            "vehicles": [
                vehicle_spec(vin=VIN2, id=100002, display_name="Model S"),
                vehicle_spec(vin=VIN3, id=100003, display_name="Model Y"),
            ],
        },
        {
            "id": NO_CARS_ID,
            "email": "none@example.com",
            "full_name": "No Cars",
            "tokens": [{"access_token": NO_CARS_TOKEN}],
            "vehicles": [],
        },
        {
            "id": EU_ID,
            "email": "eu@example.com",
            "full_name": "Europe",
            "region": "eu",
            "tokens": [{"access_token": EU_TOKEN}],
            "vehicles": [vehicle_spec(vin=VIN_EU, id=100004, display_name="Berlin")],
        },
    ]
    return spec


@pytest.fixture
async def tls_proxy(
    hass: HomeAssistant, sim: SimulatorHandle, world: World, tmp_path: Path
) -> AsyncIterator[tuple[str, Path]]:
    """The simulator as a local tesla-http-proxy over TLS, on the same world: (URL, CA file)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def ignore_refused_handshakes(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # A client that does not trust the certificate (what some tests check) drops the
        # connection mid-handshake, and the server side reports that to the loop, where
        # the hass fixture would fail the test for it.
        message = str(context.get("message", ""))
        refused = isinstance(context.get("exception"), (ConnectionResetError, ssl.SSLError))
        if refused and message.startswith("Error on transport creation for incoming"):
            return
        if previous is None:
            loop.default_exception_handler(context)
        else:
            previous(loop, context)

    def make_context() -> tuple[Path, ssl.SSLContext]:
        cert_file, key_file = write_certificate(tmp_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        return cert_file, context

    cert_file, context = await loop.run_in_executor(None, make_context)
    server = TestServer(create_app(world, "proxy"), host="127.0.0.1")
    await server.start_server(ssl=context)
    url = str(server.make_url("")).rstrip("/")
    assert url.startswith("https://127.0.0.1:")
    loop.set_exception_handler(ignore_refused_handshakes)
    yield url, cert_file
    loop.set_exception_handler(previous)
    await server.close()


# ---------------------------------------------------------------- helpers
async def token_requests(sim: SimulatorHandle, since: int) -> list[dict[str, list[str]]]:
    """The forms posted to the token endpoint since ``since``."""
    return [parse_qs(r["body"]) for r in await sim.requests(since=since) if r["path"] == "/oauth2/v3/token"]


async def issue_token(sim: SimulatorHandle, account_id: str = ACCOUNT_ID, **body: Any) -> str:
    """A JWT access token from the simulator's admin API (as Tesla's token endpoint makes them)."""
    issued = await sim.call("POST", f"/sim/accounts/{account_id}/tokens", body)
    return str(issued["access_token"])


def token_entry(hass: HomeAssistant, api_url: str, token: str = ACCESS_TOKEN) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="owner@example.com",
        unique_id=ACCOUNT_ID,
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            CONF_API_URL: api_url,
            CONF_ACCESS_TOKEN: token,
            CONF_VEHICLES: [VIN],
            CONF_KNOWN_VEHICLES: [VIN],
        },
    )
    entry.add_to_hass(hass)
    return entry


def vins_id(*vins: str) -> str:
    return "vins-" + hashlib.sha256(",".join(sorted(vins)).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- pure helpers
@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (BASE_URL_NA, True),
        ("https://tesla.example.com/api/", True),
        ("  https://tesla.example.com  ", True),
        ("http://127.0.0.1:4443", True),
        ("http://127.0.0.2", True),
        ("http://localhost:8765", True),
        ("HTTP://LOCALHOST", True),
        ("http://[::1]:4443", True),
        ("http://192.168.1.20:4443", False),
        ("http://tesla.example.com", False),
        ("http://localhost.example.com", False),
        ("ftp://127.0.0.1/", False),
        ("fleet-api.prd.na.vn.cloud.tesla.com", False),
        ("not a url", False),
        ("", False),
        ("https://", False),
        ("http://[::1", False),
        ("https://user:secret@tesla.example.com", False),
        ("https://tesla.example.com/?region=eu", False),
        ("https://tesla.example.com/#eu", False),
    ],
)
def test_valid_api_url(value: str, valid: bool) -> None:
    assert valid_api_url(value) is valid


def jwt(claims: Any) -> str:
    """An unsigned JWT around ``claims`` (any JSON), as the simulator makes them."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{part(b'{"alg":"none"}')}.{part(json.dumps(claims).encode())}.{part(b'signature')}"


@pytest.mark.parametrize(
    ("token", "claims"),
    [
        (jwt({"sub": "abc", "ou_code": "EU"}), {"sub": "abc", "ou_code": "EU"}),
        # Padding: payloads whose length is not a multiple of four still decode.
        (jwt({"a": 1}), {"a": 1}),
        (jwt({"ab": 1}), {"ab": 1}),
        (jwt({"abc": 1}), {"abc": 1}),
        (ACCESS_TOKEN, {}),
        ("a.b", {}),
        ("a.b.c.d", {}),
        ("header.!!!not-base64!!!.signature", {}),
        ("header.bm90IGpzb24.signature", {}),  # "not json"
        ("header.w6k.signature", {}),  # not UTF-8
        ("header.é.signature", {}),  # not ASCII
        (jwt(["a", "list"]), {}),
        (jwt("a string"), {}),
    ],
)
def test_token_claims(token: str, claims: dict[str, Any]) -> None:
    assert token_claims(token) == claims


@pytest.mark.parametrize(
    ("claims", "base_url"),
    [
        # Tesla's tokens: the regional Fleet API among the audiences.
        (
            {"ou_code": "EU", "aud": [f"{BASE_URL_EU}/", "https://auth.tesla.com/oauth2/v3/userinfo"]},
            BASE_URL_EU,
        ),
        ({"ou_code": "NA", "aud": ["https://auth.tesla.com/x", BASE_URL_NA]}, BASE_URL_NA),
        ({"ou_code": "EU", "aud": BASE_URL_EU}, BASE_URL_EU),
        # A Fleet API audience of another region loses to the token's region.
        ({"ou_code": "EU", "aud": [BASE_URL_NA]}, BASE_URL_EU),
        ({"ou_code": "cn"}, BASE_URL_CN),
        ({"ou_code": "EU", "aud": "https://auth.tesla.com/oauth2/v3/userinfo"}, BASE_URL_EU),
        # The simulator's tokens name the simulator, on this machine, as the audience.
        ({"ou_code": "EU", "aud": ["http://127.0.0.1:8765/eu/"]}, "http://127.0.0.1:8765/eu"),
        ({"ou_code": "NA", "aud": ["http://127.0.0.1:8765"]}, "http://127.0.0.1:8765"),
        # ... but a remote plain-http audience is no API to trust.
        ({"ou_code": "EU", "aud": ["http://tesla.example.com"]}, BASE_URL_EU),
        # An unknown region: the first audience that is one of Tesla's hosts, exactly; the
        # claims are unverified, so no other host (a look-alike least of all) is trusted.
        (
            {"ou_code": "XX", "aud": ["urn:tesla", 42, "https://tesla.example.com/", f"{BASE_URL_EU}/"]},
            BASE_URL_EU,
        ),
        ({"aud": ["https://tesla.example.com"]}, BASE_URL_NA),
        ({"ou_code": "XX", "aud": [f"{BASE_URL_EU}.evil.example/x"]}, BASE_URL_NA),
        ({"ou_code": "EU", "aud": [f"{BASE_URL_EU}.evil.example/x"]}, BASE_URL_EU),
        ({"ou_code": "XX", "aud": ["http://evil.example"]}, BASE_URL_NA),
        ({"ou_code": "XX", "aud": ["urn:tesla"]}, BASE_URL_NA),
        # Audiences that are neither a string nor a list count as none.
        ({"ou_code": "EU", "aud": 42}, BASE_URL_EU),
        ({"aud": {"https://tesla.example.com": True}}, BASE_URL_NA),
        ({"aud": None, "ou_code": None}, BASE_URL_NA),
        ({}, BASE_URL_NA),
    ],
)
def test_region_base_url(claims: dict[str, Any], base_url: str) -> None:
    assert region_base_url(jwt(claims)) == base_url


@pytest.mark.parametrize("token", [ACCESS_TOKEN, "", "a.b.c", "header.!!!.signature", jwt([1, 2])])
def test_region_base_url_without_claims_is_north_america(token: str) -> None:
    assert region_base_url(token) == BASE_URL_NA


# ---------------------------------------------------------------- start
async def test_user_step_is_a_menu(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["tesla_oauth", "tesla_token", "realto"]


# ---------------------------------------------------------------- access token
async def test_token_creates_entry(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    result = await start(hass, "tesla_token")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tesla_token"
    assert result["errors"] == {}
    assert schema_fields(result) == {CONF_API_URL: {"default": BASE_URL_NA}, CONF_ACCESS_TOKEN: {}}

    result = await configure(
        hass, result, {CONF_API_URL: f"  {sim.url}/ ", CONF_ACCESS_TOKEN: f" {ACCESS_TOKEN} "}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "owner@example.com"
    assert result["data"] == {
        CONF_PROVIDER: PROVIDER_TESLA,
        CONF_API_URL: sim.url,
        CONF_ACCESS_TOKEN: ACCESS_TOKEN,
        CONF_VEHICLES: [VIN],
        CONF_KNOWN_VEHICLES: [VIN],
    }
    entry = result["result"]
    assert entry.unique_id == ACCOUNT_ID  # users/me's vault_uuid
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_token_follows_the_region(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    """A European account at the North American URL: Tesla names the right one, and it is kept."""
    result = await start(hass, "tesla_token")
    result = await configure(hass, result, {CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: EU_TOKEN})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_URL] == f"{sim.url}/eu"
    assert result["data"][CONF_VEHICLES] == [VIN_EU]
    assert result["result"].unique_id == EU_ID
    await hass.async_block_till_done()
    lists = [(r["path"], r["status"]) for r in await sim.requests() if r["path"].endswith("/api/1/vehicles")]
    assert lists[:2] == [("/api/1/vehicles", 421), ("/eu/api/1/vehicles", 200)]
    # Setup went straight to Europe.
    assert lists[2:] == [("/eu/api/1/vehicles", 200)]
    assert result["result"].state is ConfigEntryState.LOADED


async def arrange(sim: SimulatorHandle, case: str) -> tuple[str, str]:
    """The API URL and token that give ``case``, with any fault it needs armed."""
    if case == "wrong_token":
        return sim.url, "not-a-token"
    if case == "closed_port":
        return closed_port_url(), ACCESS_TOKEN
    if case == "server_error":
        await sim.fault(kind="service_unavailable", path="/api/1/vehicles$")
        return sim.url, ACCESS_TOKEN
    if case == "rate_limited":
        await sim.fault(kind="rate_limit", path="/api/1/vehicles$")
        return sim.url, ACCESS_TOKEN
    if case == "server_refuses_scope":
        return sim.url, NO_SCOPE_TOKEN
    if case == "token_lacks_command_scopes":
        return sim.url, await issue_token(sim, scopes=["openid", "user_data", "vehicle_device_data"])
    if case == "token_lacks_all_scopes":
        return sim.url, await issue_token(sim, scopes=[])
    if case == "no_vehicles":
        return sim.url, NO_CARS_TOKEN
    if case == "no_vehicles_nor_account":
        await sim.fault(kind="not_found", path="/api/1/users/me$")
        return sim.url, NO_CARS_TOKEN
    if case == "refused":
        await sim.fault(kind="status", status=403, body={"error": "forbidden"}, path="/api/1/vehicles$")
        return sim.url, ACCESS_TOKEN
    assert case == "malformed"
    await sim.fault(kind="malformed", path="/api/1/vehicles$")
    return sim.url, ACCESS_TOKEN


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("wrong_token", "invalid_auth"),
        ("closed_port", "cannot_connect"),
        ("server_error", "cannot_connect"),
        ("rate_limited", "cannot_connect"),
        ("server_refuses_scope", "missing_scope"),
        ("token_lacks_command_scopes", "missing_scope"),
        ("token_lacks_all_scopes", "missing_scope"),
        ("no_vehicles", "no_vehicles"),
        ("no_vehicles_nor_account", "no_vehicles"),
        ("malformed", "cannot_connect"),
        ("refused", "unknown"),
    ],
)
async def test_token_errors_then_recovery(
    hass: HomeAssistant, sim: SimulatorHandle, case: str, error: str
) -> None:
    api_url, token = await arrange(sim, case)
    result = await start(hass, "tesla_token")
    result = await configure(hass, result, {CONF_API_URL: api_url, CONF_ACCESS_TOKEN: token})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tesla_token"
    assert result["errors"] == {"base": error}
    # The form keeps the URL that was entered.
    assert schema_fields(result)[CONF_API_URL] == {"default": api_url}
    assert hass.config_entries.async_entries(DOMAIN) == []

    await sim.call("DELETE", "/sim/faults")
    result = await configure(hass, result, {CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: ACCESS_TOKEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == ACCOUNT_ID


@pytest.mark.parametrize(
    ("api_url", "token", "errors"),
    [
        ("not a url", ACCESS_TOKEN, {CONF_API_URL: "invalid_url"}),
        ("ftp://127.0.0.1/", ACCESS_TOKEN, {CONF_API_URL: "invalid_url"}),
        ("http://tesla.example.com", ACCESS_TOKEN, {CONF_API_URL: "invalid_url"}),
        ("https://tesla.example.com/#x", ACCESS_TOKEN, {CONF_API_URL: "invalid_url"}),
        (None, "   ", {CONF_ACCESS_TOKEN: "empty_token"}),
        ("", "", {CONF_API_URL: "invalid_url", CONF_ACCESS_TOKEN: "empty_token"}),
    ],
)
async def test_token_input_is_checked_before_any_request(
    hass: HomeAssistant, sim: SimulatorHandle, api_url: str | None, token: str, errors: dict[str, str]
) -> None:
    seq = await last_seq(sim)
    result = await start(hass, "tesla_token")
    result = await configure(
        hass, result, {CONF_API_URL: sim.url if api_url is None else api_url, CONF_ACCESS_TOKEN: token}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tesla_token"
    assert result["errors"] == errors
    assert await sim.requests(since=seq) == []


async def test_account_id_from_the_token_without_users_me(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    """A service without users/me: the JWT's subject identifies the account."""
    await sim.fault(kind="not_found", path="/api/1/users/me$")
    token = await issue_token(sim)
    result = await start(hass, "tesla_token")
    result = await configure(hass, result, {CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: token})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == ACCOUNT_ID
    assert result["title"] == "Tesla"
    assert [r["status"] for r in await sim.requests() if r["path"] == "/api/1/users/me"] == [404]


async def test_account_id_from_the_cars_without_users_me_or_jwt(
    hass: HomeAssistant, sim: SimulatorHandle
) -> None:
    """Neither users/me nor a JWT: the account is known by its cars (in any order)."""
    await sim.fault(kind="not_found", path="/api/1/users/me$")
    result = await start(hass, "tesla_token")
    result = await configure(hass, result, {CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: TWO_CARS_TOKEN})
    assert result["step_id"] == "vehicles"
    result = await configure(hass, result, {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == vins_id(VIN3, VIN2)
    assert result["title"] == "Tesla"


@pytest.mark.parametrize(("token", "account_id"), [(ACCESS_TOKEN, ACCOUNT_ID), (TWO_CARS_TOKEN, TWO_CARS_ID)])
async def test_same_account_twice_aborts(
    hass: HomeAssistant, sim: SimulatorHandle, token: str, account_id: str
) -> None:
    """Even an account with several cars aborts before its cars are offered again."""
    MockConfigEntry(domain=DOMAIN, unique_id=account_id, data={}).add_to_hass(hass)
    result = await start(hass, "tesla_token")
    result = await configure(hass, result, {CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: token})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# ---------------------------------------------------------------- vehicles
async def two_cars_form(hass: HomeAssistant, sim: SimulatorHandle) -> ConfigFlowResult:
    result = await start(hass, "tesla_token")
    result = await configure(hass, result, {CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: TWO_CARS_TOKEN})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "vehicles"
    return result


async def test_vehicles_step_offers_every_car_selected(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    result = await two_cars_form(hass, sim)
    assert result["errors"] == {}
    assert schema_fields(result) == {CONF_VEHICLES: {"default": sorted([VIN2, VIN3])}}
    [selector] = result["data_schema"].schema.values()
    assert selector.config["multiple"] is True
    assert selector.config["options"] == [
        {"value": VIN2, "label": f"Model S ({VIN2})"},
        {"value": VIN3, "label": f"Model Y ({VIN3})"},
    ]

    result = await configure(hass, result, {})  # the defaults, as the form submits them

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "two@example.com"
    assert result["result"].unique_id == TWO_CARS_ID
    assert result["data"][CONF_VEHICLES] == sorted([VIN2, VIN3])


@pytest.mark.parametrize("chosen", [[VIN3], [VIN3, VIN2]])
async def test_vehicles_step_keeps_the_choice(
    hass: HomeAssistant, sim: SimulatorHandle, chosen: list[str]
) -> None:
    result = await two_cars_form(hass, sim)
    result = await configure(hass, result, {CONF_VEHICLES: chosen})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VEHICLES] == chosen
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_vehicles_step_needs_a_car(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    result = await two_cars_form(hass, sim)
    result = await configure(hass, result, {CONF_VEHICLES: []})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "vehicles"
    assert result["errors"] == {CONF_VEHICLES: "no_vehicles_selected"}

    result = await configure(hass, result, {CONF_VEHICLES: [VIN2]})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VEHICLES] == [VIN2]


# ---------------------------------------------------------------- OAuth
async def test_oauth_without_credentials_aborts(hass: HomeAssistant) -> None:
    result = await start(hass, "tesla_oauth")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_oauth_signs_in_at_tesla_by_default(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_TESLA_AUTH_URL, raising=False)
    result = await start(hass, "tesla_oauth")
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert str(URL(result["url"]).with_query(None)) == AUTHORIZE_URL


async def test_credentials_dialog_placeholders(
    hass: HomeAssistant, sim: SimulatorHandle, credentials: None, hass_ws_client: Any
) -> None:
    """The text of the "add application credentials" dialog names where to get them."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "application_credentials/config"})
    reply = await client.receive_json()
    assert reply["success"]
    assert reply["result"]["integrations"][DOMAIN] == {
        "description_placeholders": {
            "developer_url": "https://developer.tesla.com/dashboard",
            "redirect_url": "https://my.home-assistant.io/redirect/oauth",
        }
    }


@pytest.mark.usefixtures("current_request_with_host")
@pytest.mark.parametrize(
    ("login_hint", "account_id", "title", "region_path", "audience", "vins"),
    [
        ({}, ACCOUNT_ID, "owner@example.com", "", BASE_URL_NA, [VIN]),
        ({"login_hint": "eu@example.com"}, EU_ID, "eu@example.com", "/eu", BASE_URL_EU, [VIN_EU]),
    ],
    ids=["na", "eu"],
)
async def test_oauth_creates_entry(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    login_hint: dict[str, str],
    account_id: str,
    title: str,
    region_path: str,
    audience: str,
    vins: list[str],
) -> None:
    sim = oauth_server
    result = await start(hass, "tesla_oauth")
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    url = URL(result["url"])
    assert str(url.with_query(None)) == f"{sim.url}/oauth2/v3/authorize"
    assert url.query["response_type"] == "code"
    assert url.query["client_id"] == CLIENT_ID
    assert url.query["redirect_uri"] == REDIRECT_URI
    assert url.query["scope"].split() == list(SCOPES)
    assert url.query["prompt"] == "login"
    assert url.query["prompt_missing_scopes"] == "true"
    state = config_entry_oauth2_flow._decode_jwt(hass, url.query["state"])
    assert state == {"flow_id": result["flow_id"], "redirect_uri": REDIRECT_URI}

    seq = await last_seq(sim)
    result = await browser_sign_in(hass, sim, hass_client_no_auth, result, **login_hint)

    # The code was exchanged with the audience of the region the code names.
    [exchange] = await token_requests(sim, seq)
    assert exchange["grant_type"] == ["authorization_code"]
    assert exchange["audience"] == [audience]
    assert exchange["redirect_uri"] == [REDIRECT_URI]
    assert exchange["client_id"] == [CLIENT_ID]
    # The simulator logs secrets as markers only; a marker stands for one value.
    assert exchange["client_secret"] == [sim.world.recorder.redacted(CLIENT_SECRET)]
    assert exchange["code"][0].startswith("<redacted ")

    # Then how commands reach the cars; these have no car that needs signing.
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "commands"
    assert result["menu_options"] == ["signing_domain", "oauth_api", "plain_commands"]

    result = await configure(hass, result, {"next_step_id": "plain_commands"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    entry = result["result"]
    assert entry.unique_id == account_id
    data = dict(result["data"])
    token = data.pop("token")
    assert data == {
        CONF_PROVIDER: PROVIDER_TESLA,
        "auth_implementation": AUTH_DOMAIN,
        CONF_API_URL: f"{sim.url}{region_path}",  # from the token's audience
        CONF_VEHICLES: vins,
        CONF_KNOWN_VEHICLES: vins,
    }
    assert token_claims(token["access_token"])["sub"] == account_id
    assert token["refresh_token"]
    assert token["expires_at"] > time.time()
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def oauth_api_form(
    hass: HomeAssistant, sim: SimulatorHandle, hass_client_no_auth: ClientFactory
) -> ConfigFlowResult:
    result = await start(hass, "tesla_oauth")
    result = await browser_sign_in(hass, sim, hass_client_no_auth, result)
    assert result["type"] is FlowResultType.MENU
    result = await configure(hass, result, {"next_step_id": "oauth_api"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "oauth_api"
    assert result["errors"] is None
    assert schema_fields(result) == {CONF_PROXY_URL: {}, CONF_CA_FILE: {}}
    return result


@pytest.mark.usefixtures("current_request_with_host")
async def test_oauth_proxy_settings_are_checked(
    hass: HomeAssistant, oauth_server: SimulatorHandle, hass_client_no_auth: ClientFactory, tmp_path: Path
) -> None:
    result = await oauth_api_form(hass, oauth_server, hass_client_no_auth)
    missing = str(tmp_path / "missing.pem")
    not_a_certificate = tmp_path / "not-a-certificate.pem"
    await asyncio.get_running_loop().run_in_executor(None, not_a_certificate.write_text, "hello\n")
    unreachable = closed_port_url()

    for user_input, errors in (
        ({CONF_PROXY_URL: "http://192.168.1.20:4443"}, {CONF_PROXY_URL: "invalid_url"}),
        ({CONF_CA_FILE: missing}, {CONF_CA_FILE: "invalid_ca_file"}),
        (
            {CONF_PROXY_URL: "ftp://127.0.0.1", CONF_CA_FILE: missing},
            {CONF_PROXY_URL: "invalid_url", CONF_CA_FILE: "invalid_ca_file"},
        ),
        ({CONF_CA_FILE: str(not_a_certificate)}, {"base": "invalid_ca_file"}),
        ({CONF_PROXY_URL: unreachable}, {"base": "cannot_connect"}),
    ):
        result = await configure(hass, result, user_input)
        assert result["type"] is FlowResultType.FORM, user_input
        assert result["step_id"] == "oauth_api"
        assert result["errors"] == errors
        # What was typed stays in the form.
        suggested = {key: field.get("suggested") for key, field in schema_fields(result).items()}
        assert {key: value for key, value in suggested.items() if value} == user_input

    result = await configure(hass, result, {CONF_PROXY_URL: "  ", CONF_CA_FILE: ""})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_PROXY_URL not in result["data"]
    assert CONF_CA_FILE not in result["data"]


@pytest.mark.usefixtures("current_request_with_host")
async def test_oauth_through_a_local_proxy(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    tls_proxy: tuple[str, Path],
) -> None:
    proxy_url, ca_file = tls_proxy
    result = await oauth_api_form(hass, oauth_server, hass_client_no_auth)

    # The proxy's own certificate is not trusted until its CA file is given.
    result = await configure(hass, result, {CONF_PROXY_URL: proxy_url})
    assert result["errors"] == {"base": "cannot_connect"}

    result = await configure(hass, result, {CONF_PROXY_URL: f"{proxy_url}/", CONF_CA_FILE: f" {ca_file} "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROXY_URL] == proxy_url
    assert result["data"][CONF_CA_FILE] == str(ca_file)
    assert result["data"][CONF_API_URL] == oauth_server.url
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("current_request_with_host")
async def test_oauth_unticked_charging_permissions(
    hass: HomeAssistant, oauth_server: SimulatorHandle, hass_client_no_auth: ClientFactory
) -> None:
    """The user unticks the command permissions on Tesla's consent page."""
    result = await start(hass, "tesla_oauth")
    scopes = "openid offline_access user_data vehicle_device_data"
    result = await browser_sign_in(hass, oauth_server, hass_client_no_auth, result, scope=scopes)
    result = await configure(hass, result, {"next_step_id": "oauth_api"})
    result = await configure(hass, result, {})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "oauth_api"
    assert result["errors"] == {"base": "missing_scope"}


@pytest.mark.usefixtures("current_request_with_host")
async def test_oauth_code_without_region_is_refused(
    hass: HomeAssistant, oauth_server: SimulatorHandle, hass_client_no_auth: ClientFactory
) -> None:
    """A code with no region prefix is exchanged for North America; a refused code aborts."""
    result = await start(hass, "tesla_oauth")
    state = URL(result["url"]).query["state"]
    seq = await last_seq(oauth_server)
    client = await hass_client_no_auth()
    callback = await client.get("/auth/external/callback", params={"code": "forged", "state": state})
    assert callback.status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"
    [exchange] = await token_requests(oauth_server, seq)
    assert exchange["code"] == [oauth_server.world.recorder.redacted("forged")]
    assert exchange["audience"] == [BASE_URL_NA]


@pytest.mark.usefixtures("current_request_with_host")
async def test_a_redirected_code_exchange_posts_nothing_elsewhere(
    hass: HomeAssistant, oauth_server: SimulatorHandle, hass_client_no_auth: ClientFactory
) -> None:
    """The code and the client secret are posted to Tesla's token endpoint only."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(await request.text())
        return web.json_response({"access_token": "x", "refresh_token": "y", "expires_in": 3600})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    elsewhere = TestServer(app, host="127.0.0.1")
    await elsewhere.start_server()
    try:
        result = await start(hass, "tesla_oauth")
        state = URL(result["url"]).query["state"]
        await oauth_server.fault(
            kind="redirect",
            status=307,
            path="^/oauth2/v3/token$",
            base_url=str(elsewhere.make_url("")).rstrip("/"),
        )
        client = await hass_client_no_auth()
        callback = await client.get("/auth/external/callback", params={"code": "NA_code", "state": state})
        assert callback.status == 200
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    finally:
        await elsewhere.close()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"
    assert seen == []


# ---------------------------------------------------------------- reauth
async def test_reauth_token(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    """The saved token is refused at setup; Home Assistant asks for a new one, then reloads."""
    entry = token_entry(hass, sim.url, token="revoked-token")
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["step_id"] == "reauth_token"

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_ACCESS_TOKEN: "  "})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_token"
    assert result["errors"] == {CONF_ACCESS_TOKEN: "empty_token"}

    result = await configure(hass, result, {CONF_ACCESS_TOKEN: "still-wrong"})
    assert result["step_id"] == "reauth_token"
    assert result["errors"] == {"base": "invalid_auth"}

    result = await configure(hass, result, {CONF_ACCESS_TOKEN: f" {ACCESS_TOKEN} "})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {
        CONF_PROVIDER: PROVIDER_TESLA,
        CONF_API_URL: sim.url,
        CONF_ACCESS_TOKEN: ACCESS_TOKEN,
        CONF_VEHICLES: [VIN],
        CONF_KNOWN_VEHICLES: [VIN],
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_token_of_another_account(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    entry = token_entry(hass, sim.url, token="revoked-token")
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_token"
    assert result["errors"] is None

    result = await configure(hass, result, {CONF_ACCESS_TOKEN: TWO_CARS_TOKEN})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_ACCESS_TOKEN] == "revoked-token"


@pytest.mark.usefixtures("current_request_with_host")
async def test_reauth_oauth(
    hass: HomeAssistant, oauth_server: SimulatorHandle, hass_client_no_auth: ClientFactory
) -> None:
    entry = await add_oauth_entry(hass, oauth_server)
    old_token = entry.data["token"]
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"

    result = await configure(hass, result, {})
    result = await browser_sign_in(hass, oauth_server, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    token = entry.data["token"]
    assert token["access_token"] != old_token["access_token"]
    assert token["refresh_token"] != old_token["refresh_token"]
    assert token_claims(token["access_token"])["sub"] == ACCOUNT_ID
    assert {k: v for k, v in entry.data.items() if k != "token"} == {
        CONF_PROVIDER: PROVIDER_TESLA,
        "auth_implementation": AUTH_DOMAIN,
        CONF_API_URL: oauth_server.url,
        CONF_VEHICLES: [VIN],
        CONF_KNOWN_VEHICLES: [VIN],
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("current_request_with_host")
@pytest.mark.parametrize(
    ("sign_in_as", "fault", "reason"),
    [
        ({"login_hint": "two@example.com"}, None, "wrong_account"),
        ({}, {"kind": "server_error", "path": "/api/1/vehicles$"}, "cannot_connect"),
        ({"scope": "openid user_data vehicle_device_data"}, None, "missing_scope"),
    ],
    ids=["another_account", "server_error", "unticked_permissions"],
)
async def test_reauth_oauth_aborts(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    sign_in_as: dict[str, str],
    fault: dict[str, Any] | None,
    reason: str,
) -> None:
    """Reauth has no form to show an error on: whatever goes wrong after sign-in aborts."""
    entry = await add_oauth_entry(hass, oauth_server)
    old_data = dict(entry.data)
    if fault:
        await oauth_server.fault(**fault)
    result = await entry.start_reauth_flow(hass)
    result = await configure(hass, result, {})
    result = await browser_sign_in(hass, oauth_server, hass_client_no_auth, result, **sign_in_as)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert dict(entry.data) == old_data


# ---------------------------------------------------------------- reconfigure
async def test_reconfigure_token_entry(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    """The service moved: the old address no longer answers, the new one does."""
    old_url = closed_port_url()
    entry = token_entry(hass, old_url)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_token"
    assert schema_fields(result) == {CONF_API_URL: {"default": old_url}}

    result = await configure(hass, result, {CONF_API_URL: "http://tesla.example.com"})
    assert result["step_id"] == "reconfigure_token"
    assert result["errors"] == {CONF_API_URL: "invalid_url"}

    unreachable = closed_port_url()
    result = await configure(hass, result, {CONF_API_URL: unreachable})
    assert result["step_id"] == "reconfigure_token"
    assert result["errors"] == {"base": "cannot_connect"}
    assert schema_fields(result) == {CONF_API_URL: {"default": unreachable}}

    result = await configure(hass, result, {CONF_API_URL: f"{sim.url}/"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_PROVIDER: PROVIDER_TESLA,
        CONF_API_URL: sim.url,
        CONF_ACCESS_TOKEN: ACCESS_TOKEN,
        CONF_VEHICLES: [VIN],
        CONF_KNOWN_VEHICLES: [VIN],
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("credentials")
async def test_reconfigure_oauth_entry_proxy(
    hass: HomeAssistant, sim: SimulatorHandle, tls_proxy: tuple[str, Path]
) -> None:
    """Route an OAuth entry through a local proxy, then back to the API directly."""
    proxy_url, ca_file = tls_proxy
    entry = await add_oauth_entry(hass, sim)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure_commands"
    assert result["menu_options"] == ["signing_domain", "oauth_api", "plain_commands"]
    result = await configure(hass, result, {"next_step_id": "oauth_api"})
    assert result["type"] is FlowResultType.FORM
    assert schema_fields(result) == {CONF_PROXY_URL: {}, CONF_CA_FILE: {}}

    result = await configure(hass, result, {CONF_PROXY_URL: "http://tesla.example.com"})
    assert result["errors"] == {CONF_PROXY_URL: "invalid_url"}

    result = await configure(hass, result, {CONF_PROXY_URL: proxy_url})
    assert result["step_id"] == "oauth_api"
    assert result["errors"] == {"base": "cannot_connect"}  # its certificate is not trusted
    assert schema_fields(result)[CONF_PROXY_URL] == {"suggested": proxy_url}

    result = await configure(hass, result, {CONF_PROXY_URL: proxy_url, CONF_CA_FILE: str(ca_file)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PROXY_URL] == proxy_url
    assert entry.data[CONF_CA_FILE] == str(ca_file)
    assert entry.data[CONF_API_URL] == sim.url
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # The form shows the proxy in use; plain commands go to the API directly.
    result = await entry.start_reconfigure_flow(hass)
    proxy_form = await configure(hass, result, {"next_step_id": "oauth_api"})
    assert schema_fields(proxy_form) == {
        CONF_PROXY_URL: {"suggested": proxy_url},
        CONF_CA_FILE: {"suggested": str(ca_file)},
    }
    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, {"next_step_id": "plain_commands"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert CONF_PROXY_URL not in entry.data
    assert CONF_CA_FILE not in entry.data
    assert entry.data[CONF_API_URL] == sim.url
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_a_ca_file_gone_at_start_up_is_waited_for(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    tls_proxy: tuple[str, Path],
    tmp_path: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The proxy's CA file was checked when chosen; at a later start it is missing (a
    mount not ready yet, a moved file): the entry says so and tries again."""
    proxy_url, ca_file = tls_proxy
    later = tmp_path / "mount" / "tesla-proxy-ca.pem"
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCOUNT_ID,
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            CONF_API_URL: sim.url,
            CONF_ACCESS_TOKEN: ACCESS_TOKEN,
            CONF_PROXY_URL: proxy_url,
            CONF_CA_FILE: str(later),
            CONF_VEHICLES: [VIN],
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "invalid_ca_file"
    assert_translated(setup_error(entry), "invalid_ca_file")
    assert str(later) in (entry.error_reason_translation_placeholders or {}).values()

    later.parent.mkdir()
    later.write_text("not a certificate")  # half copied: still not usable
    await tick(hass, freezer, timedelta(minutes=1))
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "invalid_ca_file"

    later.write_bytes(ca_file.read_bytes())
    await tick(hass, freezer, timedelta(minutes=5))
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("credentials")
async def test_reconfigure_after_the_application_credentials_were_deleted_aborts(
    hass: HomeAssistant, sim: SimulatorHandle, hass_ws_client: Any
) -> None:
    """A signed-in entry is tested with its own refreshing tokens, which need the
    application credentials; without them the user is told to add them again."""
    entry = await add_oauth_entry(hass, sim)
    result = await entry.start_reconfigure_flow(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "application_credentials/list"})
    [credential] = (await client.receive_json())["result"]
    await client.send_json_auto_id(
        {"type": "application_credentials/delete", "application_credentials_id": credential["id"]}
    )
    assert (await client.receive_json())["success"]
    result = await configure(hass, result, {"next_step_id": "plain_commands"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


# ------------------------------------------------- an identity made from the cars
async def _entry_known_by_its_cars(hass: HomeAssistant, sim: SimulatorHandle) -> ConfigEntry[Any]:
    """A service without users/me and with opaque tokens: the id is made from the VINs."""
    await sim.fault(kind="not_found", path="/api/1/users/me$")
    result = await start(hass, "tesla_token")
    result = await configure(hass, result, {CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: TWO_CARS_TOKEN})
    result = await configure(hass, result, {})
    entry: ConfigEntry[Any] = result["result"]
    assert entry.unique_id == vins_id(VIN2, VIN3)
    await hass.async_block_till_done()
    return entry


async def _change(hass: HomeAssistant, entry: ConfigEntry[Any], source: str) -> ConfigFlowResult:
    """Start a reauth or a reconfigure of an entry the flow created."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": source, "entry_id": entry.entry_id}, data=dict(entry.data)
    )


async def test_an_account_known_by_its_cars_stays_itself_when_it_gains_or_loses_one(
    hass: HomeAssistant, sim: SimulatorHandle
) -> None:
    entry = await _entry_known_by_its_cars(hass, sim)
    account = sim.world.accounts[TWO_CARS_ID]
    sim.world.remove_vehicle(account, VIN3)
    sim.world.add_vehicle(
        account,
        SimVehicle.from_payload(
            load_fixture("ha_tesla_fleet_vehicle_data.json"),
            t=sim.world.now(),
            vin=VIN_NEW,
            vehicle_id=100005,
            display_name="New Car",
        ),
    )
    for source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
        result = await _change(hass, entry, source)
        if source == SOURCE_REAUTH:
            result = await configure(hass, result, {CONF_ACCESS_TOKEN: TWO_CARS_TOKEN})
            assert result["reason"] == "reauth_successful"
        else:
            result = await configure(hass, result, {CONF_API_URL: sim.url})
            result = await configure(hass, result, {})
            assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert entry.unique_id == vins_id(VIN2, VIN3)
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.data[CONF_VEHICLES]) == {VIN2, VIN_NEW}


async def test_an_account_known_by_its_cars_is_not_another_with_other_cars(
    hass: HomeAssistant, sim: SimulatorHandle
) -> None:
    entry = await _entry_known_by_its_cars(hass, sim)
    result = await _change(hass, entry, SOURCE_REAUTH)
    result = await configure(hass, result, {CONF_ACCESS_TOKEN: ACCESS_TOKEN})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_ACCESS_TOKEN] == TWO_CARS_TOKEN
