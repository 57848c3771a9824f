"""Partner tokens, domain registration (fetching the key from a real local server), the
public key lookup, the Tesla app's pairing page, and fleet_status."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import json
import re
import socket
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
import pytest

from ..helpers import ACCOUNT_ID, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet
from .signed_support import INFOTAINMENT, SignedClient, new_key, pem, point, set_charge_limit

APP_ID, APP_SECRET = "app-one", "app-one-secret"
OTHER_ID, OTHER_SECRET = "app-two", "app-two-secret"
WELL_KNOWN = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
OTHER_VIN = "5YJ3E1EA1NF000777"


@pytest.fixture
def scenario() -> dict[str, Any]:
    spec = account_spec(
        vehicle_spec(command_signing="required"),
        vehicle_spec(vin=VIN2, id=100002, display_name="Blue <S>", command_signing="off"),
    )
    spec["tesla"]["apps"] = [
        {
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "allowed_origins": ["https://www.example.com", "http://127.0.0.1:9999"],
        },
        {"client_id": OTHER_ID, "client_secret": OTHER_SECRET, "allowed_origins": ["https://other.org"]},
    ]
    other_account = account_spec(vehicle_spec(vin=OTHER_VIN, id=100077), region="na")["tesla"]["accounts"][0]
    other_account.update(id="6f6a7d30-0000-4000-8000-000000000077", email="other@example.com", tokens=[])
    spec["tesla"]["accounts"].append(other_account)
    return spec


@dataclass
class KeyServer:
    """A developer's web server on loopback, hosting the public key file."""

    port: int
    pem: str
    status: int = 200
    hits: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
async def key_server(socket_enabled: None) -> AsyncIterator[KeyServer]:
    key = new_key()
    served = KeyServer(0, pem(key))

    async def handler(request: web.Request) -> web.Response:
        served.hits.append(request.path)
        return web.Response(text=served.pem, status=served.status)

    app = web.Application()
    app.router.add_get(WELL_KNOWN, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    assert server.port is not None
    served.port = server.port
    yield served
    await server.close()


async def partner_token(fleet: Fleet, client_id: str = APP_ID, secret: str = APP_SECRET) -> str:
    reply = await fleet.request(
        "POST",
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "openid vehicle_cmds vehicle_charging_cmds",
            "audience": fleet.base,
        },
        headers={},
    )
    assert reply.status == 200, reply.text
    return str(reply.body["access_token"])


async def register(fleet: Fleet, token: str, domain: str, prefix: str = "") -> Any:
    return await fleet.post(f"{prefix}/api/1/partner_accounts", {"domain": domain}, token=token)


async def host(sim: SimulatorHandle, domain: str, text: str | None) -> None:
    await sim.call("POST", "/sim/partner/hosted_keys", {"domain": domain, "pem": text})


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# --------------------------------------------------------------- partner tokens
async def test_client_credentials_grant(fleet: Fleet) -> None:
    token = await partner_token(fleet)
    body = claims(token)
    assert body["sub"] == APP_ID
    assert body["aud"] == [fleet.base]
    assert body["scp"] == ["openid", "vehicle_cmds", "vehicle_charging_cmds"]
    assert "ou_code" not in body  # no account, so no region


@pytest.mark.parametrize(
    ("client_id", "secret"), [(APP_ID, "wrong"), (APP_ID, ""), ("", APP_SECRET), ("unknown-app", "x")]
)
async def test_client_credentials_refused(fleet: Fleet, client_id: str, secret: str) -> None:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    reply = await fleet.request("POST", "/oauth2/v3/token", data=form, headers={})
    assert (reply.status, reply.body) == (401, {"error": "invalid_client"})


async def test_any_client_without_listed_apps(sim: SimulatorHandle, fleet: Fleet) -> None:
    sim.world.partners.apps.clear()
    token = await partner_token(fleet, "whoever", "whatever")
    assert claims(token)["sub"] == "whoever"
    reply = await register(fleet, token, "anything.example.net")
    assert reply.status == 424  # any domain is accepted; this one just has no key to fetch


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/1/vehicles"),
        ("GET", f"/api/1/vehicles/{VIN}/vehicle_data"),
        ("POST", f"/api/1/vehicles/{VIN}/signed_command"),
        ("POST", f"/api/1/vehicles/{VIN}/command/charge_start"),
        ("POST", "/api/1/vehicles/fleet_status"),
    ],
)
async def test_a_partner_token_is_no_user_token(fleet: Fleet, method: str, path: str) -> None:
    token = await partner_token(fleet)
    reply = await fleet.request(method, path, json={}, token=token)
    assert reply.status == 403
    assert reply.body == {
        "response": None,
        "error": "Unauthorized: requires user token",
        "error_description": "",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/1/partner_accounts"), ("GET", "/api/1/partner_accounts/public_key?domain=example.com")],
)
async def test_partner_endpoints_need_a_partner_token(fleet: Fleet, method: str, path: str) -> None:
    reply = await fleet.request(method, path, json={"domain": "example.com"})
    assert (reply.status, reply.body) == (403, {"error": "Unauthorized: requires partner token"})
    reply = await fleet.request(method, path, json={"domain": "example.com"}, headers={})
    assert reply.status == 401


# ------------------------------------------------------------------ register
async def test_register_fetches_the_key_from_the_domain(
    sim: SimulatorHandle, fleet: Fleet, key_server: KeyServer
) -> None:
    token = await partner_token(fleet)
    reply = await register(fleet, token, key_server.domain)
    assert reply.status == 200, reply.text
    expected = serialization.load_pem_public_key(key_server.pem.encode())
    assert isinstance(expected, ec.EllipticCurvePublicKey)
    hex_key = expected.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    ).hex()
    response = reply.body["response"]
    assert response == {
        "client_id": APP_ID,
        "domain": key_server.domain,
        "public_key": hex_key,
        "ca": None,
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
    assert len(response["public_key"]) == 130
    assert key_server.hits == [WELL_KNOWN]
    lookup = await fleet.get(f"/api/1/partner_accounts/public_key?domain={key_server.domain}", token=token)
    assert (lookup.status, lookup.body) == (200, {"response": {"public_key": hex_key}})
    # Registering again fetches again and replaces the key.
    key_server.pem = pem(new_key())
    sim.advance(60)
    again = (await register(fleet, token, key_server.domain)).body["response"]
    assert again["public_key"] != hex_key
    assert (again["created_at"], again["updated_at"]) == (
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:01:00.000Z",
    )


async def test_a_localhost_domain_is_fetched_too(
    sim: SimulatorHandle, fleet: Fleet, key_server: KeyServer
) -> None:
    token = await partner_token(fleet)
    domain = f"localhost:{key_server.port}"
    assert (await register(fleet, token, domain)).status == 412  # not among app-one's origins
    sim.world.partners.apps.clear()  # any application, any domain
    reply = await register(fleet, token, domain)
    assert reply.status == 200, reply.text
    assert reply.body["response"]["domain"] == domain
    assert key_server.hits == [WELL_KNOWN]


async def test_registration_is_per_region(fleet: Fleet, sim: SimulatorHandle) -> None:
    token = await partner_token(fleet)
    await host(sim, "example.com", pem(new_key()))
    assert (await register(fleet, token, "example.com", prefix="/eu")).status == 200
    na = await fleet.get("/api/1/partner_accounts/public_key?domain=example.com", token=token)
    assert na.status == 404
    assert na.body["error"] == "not_found"
    eu = await fleet.get("/eu/api/1/partner_accounts/public_key?domain=example.com", token=token)
    assert eu.status == 200
    state = await sim.call("GET", "/sim/partner")
    assert list(state["registrations"]) == ["eu"]
    assert state["hosted_keys"] == ["example.com"]


@pytest.mark.parametrize(
    "domain",
    [
        "evil.com",  # not the allowed origin's root domain
        "example.com.evil.com",
        "notexample.com",
        "not a domain",
        "example.com:8443",  # a port only for loopback hosts
        "127.0.0.1:http",
        "127.0.0.1:70000",
    ],
)
async def test_a_domain_that_does_not_fit_is_412(fleet: Fleet, domain: str) -> None:
    token = await partner_token(fleet)
    reply = await register(fleet, token, domain)
    assert reply.status == 412
    assert reply.body["error"] == "Precondition Failed"
    assert reply.body["error_description"]


async def test_subdomains_of_the_allowed_origin_are_fine(sim: SimulatorHandle, fleet: Fleet) -> None:
    token = await partner_token(fleet)
    await host(sim, "api.example.com", pem(new_key()))
    assert (await register(fleet, token, "API.Example.com")).status == 200


async def test_a_key_that_cannot_be_fetched(fleet: Fleet, key_server: KeyServer) -> None:
    token = await partner_token(fleet)
    reply = await register(fleet, token, "www.example.com")
    assert (reply.status, reply.body) == (
        424,
        {"error": f"unable to fetch public key from https://www.example.com{WELL_KNOWN}"},
    )
    key_server.status = 404
    reply = await register(fleet, token, key_server.domain)
    assert reply.body == {"error": f"unable to fetch public key from http://{key_server.domain}{WELL_KNOWN}"}
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    reply = await register(fleet, token, f"127.0.0.1:{closed}")
    assert reply.status == 424


@pytest.mark.parametrize("kind", ["garbage", "rsa", "p384"])
async def test_a_key_that_is_not_p256_is_400(sim: SimulatorHandle, fleet: Fleet, kind: str) -> None:
    if kind == "garbage":
        text = "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"
    else:
        private: Any = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if kind == "rsa"
            else ec.generate_private_key(ec.SECP384R1())
        )
        text = (
            private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
    await host(sim, "example.com", text)
    token = await partner_token(fleet)
    reply = await register(fleet, token, "example.com")
    assert reply.status == 400
    assert reply.body["error"].startswith("invalid public key at example.com")


@pytest.mark.parametrize("body", [{}, {"domain": ""}, {"domain": 5}, ["example.com"]])
async def test_register_needs_a_domain(fleet: Fleet, body: Any) -> None:
    token = await partner_token(fleet)
    reply = await fleet.post("/api/1/partner_accounts", body, token=token)
    assert (reply.status, reply.body["error"]) == (400, "invalid_request")
    lookup = await fleet.get("/api/1/partner_accounts/public_key", token=token)
    assert lookup.status == 400


async def test_hosted_keys_admin(sim: SimulatorHandle, fleet: Fleet) -> None:
    await host(sim, "Example.com", "pem")
    assert sim.world.partners.hosted_keys == {"example.com": "pem"}
    await host(sim, "example.com", None)
    assert sim.world.partners.hosted_keys == {}
    for body in ({"domain": "x"}, {"pem": "x"}, {"domain": 1, "pem": "x"}, {"domain": "x", "pem": 1}):
        reply = await fleet.request("POST", "/sim/partner/hosted_keys", json=body, headers={})
        assert reply.status == 400


# -------------------------------------------------------------- pairing page
async def registered_key(sim: SimulatorHandle, fleet: Fleet, domain: str = "example.com") -> Any:
    key = new_key()
    await host(sim, domain, pem(key))
    reply = await register(fleet, await partner_token(fleet), domain)
    assert reply.status == 200
    return key


async def test_the_pairing_page_pairs_a_car(sim: SimulatorHandle, fleet: Fleet) -> None:
    key = await registered_key(sim, fleet)
    page = await fleet.get("/_ak/example.com", headers={})
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Model 3" in page.text
    assert f'name="vin" value="{VIN}"' in page.text
    assert "Blue &lt;S&gt;" in page.text  # names are escaped
    assert f'value="{OTHER_VIN}"' in page.text  # no login: every account's cars
    # Before pairing the car does not know the key...
    client = SignedClient(fleet, sim, VIN, key=key)
    sent = await client.handshake_raw(INFOTAINMENT)
    assert sent.reply is not None
    assert sent.reply.session_info is not None
    assert sent.reply.session_info["status"] == 1
    # ...the owner taps the button...
    done = await fleet.request("POST", "/_ak/example.com", data={"vin": VIN}, headers={})
    assert done.status == 200
    assert re.search(r"<title>Key added to Model 3</title>", done.text)
    # ...and signed commands work.
    assert await client.command(set_charge_limit(90)) == (0, "")
    state = await sim.call("GET", f"/sim/vehicles/{VIN}/signing")
    assert state["paired_keys"] == [point(key).hex()]
    entries = await sim.requests()
    ak = [e for e in entries if e["path"].startswith("/_ak/")]
    assert [(e["category"], e["billed"]) for e in ak] == [("app", False), ("app", False)]


async def test_the_pairing_page_for_an_unknown_domain(sim: SimulatorHandle, fleet: Fleet) -> None:
    assert (await fleet.get("/_ak/nobody.example.com", headers={})).status == 404
    reply = await fleet.request("POST", "/_ak/nobody.example.com", data={"vin": VIN}, headers={})
    assert reply.status == 404
    await registered_key(sim, fleet)
    reply = await fleet.request("POST", "/_ak/example.com", data={"vin": "NOPE"}, headers={})
    assert reply.status == 404
    assert "No vehicle NOPE" in reply.text


async def test_admin_pairs_a_registered_domain(sim: SimulatorHandle, fleet: Fleet) -> None:
    key = await registered_key(sim, fleet)
    state = await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"pair_domain": "example.com"})
    assert state["paired_keys"] == [point(key).hex()]
    state = await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"unpair_domain": "example.com"})
    assert state["paired_keys"] == []


# -------------------------------------------------------------- fleet_status
async def fleet_status(fleet: Fleet, vins: list[str], **kwargs: Any) -> Any:
    return await fleet.post("/api/1/vehicles/fleet_status", {"vins": vins}, **kwargs)


async def test_fleet_status(sim: SimulatorHandle, fleet: Fleet) -> None:
    await registered_key(sim, fleet)
    reply = await fleet_status(fleet, [VIN, VIN2, OTHER_VIN, VIN])
    assert reply.status == 200
    assert reply.body["response"]["key_paired_vins"] == []
    assert reply.body["response"]["unpaired_vins"] == [VIN, VIN2]  # not the other account's car
    assert reply.body["response"]["vehicle_info"][VIN] == {
        "firmware_version": "2023.44.30.8",
        "vehicle_command_protocol_required": True,
        "discounted_device_data": False,
        "fleet_telemetry_version": "1.1.0",
        "total_number_of_keys": 0,
    }
    assert reply.body["response"]["vehicle_info"][VIN2]["vehicle_command_protocol_required"] is False
    await fleet.request("POST", "/_ak/example.com", data={"vin": VIN}, headers={})
    reply = await fleet_status(fleet, [VIN, VIN2])
    assert reply.body["response"]["key_paired_vins"] == [VIN]
    assert reply.body["response"]["unpaired_vins"] == [VIN2]
    assert reply.body["response"]["vehicle_info"][VIN]["total_number_of_keys"] == 1
    statuses = [
        (e["category"], e["billed"]) for e in await sim.requests() if e["path"].endswith("fleet_status")
    ]
    assert statuses == [("free", True), ("free", True)]  # counted, at no cost (an assumption)


async def test_fleet_status_is_relative_to_the_tokens_application(sim: SimulatorHandle, fleet: Fleet) -> None:
    await registered_key(sim, fleet)
    await fleet.request("POST", "/_ak/example.com", data={"vin": VIN}, headers={})
    mine = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {"client_id": APP_ID})
    other = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {"client_id": OTHER_ID})
    reply = await fleet_status(fleet, [VIN], token=mine["access_token"])
    assert reply.body["response"]["key_paired_vins"] == [VIN]
    reply = await fleet_status(fleet, [VIN], token=other["access_token"])
    assert reply.body["response"]["key_paired_vins"] == []  # app-two registered no key
    bad = await fleet.request(
        "POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", json={"client_id": ""}, headers={}
    )
    assert bad.status == 400


async def test_the_oauth_flow_remembers_the_client_id(sim: SimulatorHandle, fleet: Fleet) -> None:
    await registered_key(sim, fleet)
    await fleet.request("POST", "/_ak/example.com", data={"vin": VIN}, headers={})
    redirect = await fleet.get(
        f"/oauth2/v3/authorize?client_id={OTHER_ID}&redirect_uri=http://localhost/cb&state=s&scope=openid",
        headers={},
        allow_redirects=False,
    )
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code}
    tokens = (await fleet.request("POST", "/oauth2/v3/token", data=form, headers={})).body
    assert sim.world.tokens.access[tokens["access_token"]].client_id == OTHER_ID
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = (await fleet.request("POST", "/oauth2/v3/token", data=form, headers={})).body
    assert sim.world.tokens.access[refreshed["access_token"]].client_id == OTHER_ID
    # Without a client id on the authorize request, the token request's counts.
    redirect = await fleet.get(
        "/oauth2/v3/authorize?redirect_uri=http://x/cb", headers={}, allow_redirects=False
    )
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "client_id": APP_ID}
    tokens = (await fleet.request("POST", "/oauth2/v3/token", data=form, headers={})).body
    assert sim.world.tokens.access[tokens["access_token"]].client_id == APP_ID


@pytest.mark.parametrize("body", [{}, {"vins": "LRW"}, {"vins": [1]}, ["vins"]])
async def test_fleet_status_bad_body(fleet: Fleet, body: Any) -> None:
    reply = await fleet.post("/api/1/vehicles/fleet_status", body)
    assert reply.status == 400


async def test_a_paired_domain_follows_its_registration(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.call("POST", f"/sim/vehicles/{VIN}/signing", {"paired_keys": ["example.com"]})
    assert (await fleet_status(fleet, [VIN])).body["response"]["unpaired_vins"] == [VIN]
    key = await registered_key(sim, fleet)
    assert (await fleet_status(fleet, [VIN])).body["response"]["key_paired_vins"] == [VIN]
    assert await SignedClient(fleet, sim, VIN, key=key).command(set_charge_limit(90)) == (0, "")
