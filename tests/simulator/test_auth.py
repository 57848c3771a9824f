"""Native Fleet API auth: bearer tokens, scopes, regions, signing; OAuth; admin tokens."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from simulator.faults import SIGNING_REQUIRED
from simulator.tesla.accounts import ALL_SCOPES

from ..helpers import (
    ACCESS_TOKEN,
    ACCOUNT_ID,
    REFRESH_TOKEN,
    VIN,
    VIN2,
    SimulatorHandle,
    account_spec,
    vehicle_spec,
)
from .conftest import Fleet

DATA = f"/api/1/vehicles/{VIN}/vehicle_data"
INVALID = {"error": "invalid bearer token"}
EXPIRED = {"error": "token expired (401)"}
MISSING_SCOPES = {"response": None, "error": "Unauthorized missing scopes", "error_description": ""}


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(), vehicle_spec(vin=VIN2, id=100002, display_name="Signed", command_signing="required")
    )


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def issue(sim: SimulatorHandle, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", body)
    return result


# -------------------------------------------------------------- bearer tokens
async def test_missing_bearer_token(fleet: Fleet) -> None:
    reply = await fleet.get(DATA, headers={})
    assert (reply.status, reply.body) == (401, INVALID)
    reply = await fleet.get(DATA, headers={"Authorization": "Bearer "})
    assert (reply.status, reply.body) == (401, INVALID)
    reply = await fleet.get(DATA, headers={"Authorization": f"Basic {ACCESS_TOKEN}"})
    assert (reply.status, reply.body) == (401, INVALID)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/1/users/me"),
        ("GET", "/api/1/users/region"),
        ("GET", "/api/1/vehicles"),
        ("GET", f"/api/1/vehicles/{VIN}"),
        ("GET", DATA),
        ("POST", f"/api/1/vehicles/{VIN}/wake_up"),
        ("POST", f"/api/1/vehicles/{VIN}/command/charge_start"),
    ],
)
async def test_every_route_needs_a_token(fleet: Fleet, method: str, path: str) -> None:
    reply = await fleet.request(method, path, headers={})
    assert (reply.status, reply.body) == (401, INVALID)


async def test_unknown_bearer_token(fleet: Fleet) -> None:
    reply = await fleet.get("/api/1/vehicles", token="not-a-token")
    assert (reply.status, reply.body) == (401, INVALID)


async def test_expired_bearer_token(sim: SimulatorHandle, fleet: Fleet) -> None:
    sim.advance(8 * 3600 - 1)
    assert (await fleet.get("/api/1/vehicles")).status == 200
    sim.advance(1)
    reply = await fleet.get("/api/1/vehicles")
    assert (reply.status, reply.body) == (401, EXPIRED)


@pytest.mark.parametrize(
    ("scopes", "path", "method", "expected"),
    [
        (["openid"], DATA, "GET", 403),
        (["openid"], "/api/1/vehicles", "GET", 403),
        (["openid"], "/api/1/users/me", "GET", 403),
        (["vehicle_device_data"], DATA, "GET", 200),
        (["vehicle_device_data"], f"/api/1/vehicles/{VIN}/wake_up", "POST", 200),
        (["vehicle_device_data"], f"/api/1/vehicles/{VIN}/command/charge_stop", "POST", 403),
        (["vehicle_charging_cmds"], f"/api/1/vehicles/{VIN}/command/charge_stop", "POST", 200),
        (["vehicle_cmds"], f"/api/1/vehicles/{VIN}/command/charge_stop", "POST", 200),
        (["vehicle_cmds"], DATA, "GET", 403),
        (["user_data"], "/api/1/users/region", "GET", 200),
    ],
)
async def test_scopes(
    sim: SimulatorHandle, fleet: Fleet, scopes: list[str], path: str, method: str, expected: int
) -> None:
    token = (await issue(sim, scopes=scopes))["access_token"]
    reply = await fleet.request(method, path, json={} if method == "POST" else None, token=token)
    assert reply.status == expected, reply.text
    if expected == 403:
        assert reply.body == MISSING_SCOPES


async def test_users_me_and_region(sim: SimulatorHandle, fleet: Fleet) -> None:
    me = await fleet.get("/api/1/users/me")
    assert me.body == {
        "response": {
            "email": "owner@example.com",
            "full_name": "Test Owner",
            "profile_image_url": "",
            "vault_uuid": ACCOUNT_ID,
        }
    }
    region = await fleet.get("/api/1/users/region")
    assert region.body == {"response": {"region": "na", "fleet_api_base_url": sim.url}}


async def test_vehicle_list_and_paging(fleet: Fleet) -> None:
    listing = await fleet.get("/api/1/vehicles")
    assert listing.body["count"] == 2
    assert [v["vin"] for v in listing.body["response"]] == [VIN, VIN2]
    first = listing.body["response"][0]
    assert first["id"] == 100001
    assert first["id_s"] == "100001"
    assert first["command_signing"] == "off"
    assert first["state"] == "online"
    assert first["display_name"] == "Model 3"
    page2 = await fleet.get("/api/1/vehicles?page=2&per_page=1")
    assert [v["vin"] for v in page2.body["response"]] == [VIN2]
    assert page2.body["count"] == 2
    bad = await fleet.get("/api/1/vehicles?page=two")
    assert bad.status == 400


async def test_vehicle_by_id_or_vin(fleet: Fleet) -> None:
    by_vin = await fleet.get(f"/api/1/vehicles/{VIN}")
    by_id = await fleet.get("/api/1/vehicles/100001")
    assert by_vin.body == by_id.body
    assert by_vin.body["response"]["vin"] == VIN
    missing = await fleet.get("/api/1/vehicles/5YJ3E1EA0000NOPE0/vehicle_data")
    assert missing.status == 404
    assert missing.body == {"response": None, "error": "not_found", "error_description": "Vehicle not found"}


async def test_other_accounts_cars_are_not_found(sim: SimulatorHandle, fleet: Fleet) -> None:
    spec = account_spec(vehicle_spec(vin="5YJ3E1EA1NF000009", id=9))
    from simulator.scenario import build_world

    other = build_world(spec, sim.world.clock)
    sim.world.vehicles.update(other.vehicles)  # a car of nobody in this account
    assert (await fleet.get("/api/1/vehicles/5YJ3E1EA1NF000009")).status == 404


async def test_status_endpoint_needs_no_token(fleet: Fleet) -> None:
    reply = await fleet.get("/status", headers={})
    assert (reply.status, reply.text) == (200, "ok")


# --------------------------------------------------------------------- regions
@pytest.mark.parametrize("scenario", [account_spec(region="eu")])
async def test_wrong_region_points_at_a_base_url_that_works(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.get("/api/1/vehicles")
    assert reply.status == 421
    assert reply.body["response"] is None
    error = reply.body["error"]
    assert error.startswith("user out of region, use base URL: ")
    assert error.endswith(", see https://developer.tesla.com/docs/fleet-api#regional-requirements")
    base = error.removeprefix("user out of region, use base URL: ").split(",")[0]
    assert base == f"{sim.url}/eu"
    retry = await fleet.session.get(f"{base}/api/1/vehicles", headers=fleet.headers())
    assert retry.status == 200
    assert (await retry.json())["response"][0]["vin"] == VIN
    region = await fleet.get("/eu/api/1/users/region")
    assert region.body["response"] == {"region": "eu", "fleet_api_base_url": base}
    # The China host is wrong too.
    assert (await fleet.get("/cn/api/1/vehicles")).status == 421


async def test_eu_prefix_is_wrong_for_a_north_american_account(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.get("/eu/api/1/vehicles")
    assert reply.status == 421
    assert f"use base URL: {sim.url}," in reply.body["error"]


async def test_region_changed_through_the_admin_api(sim: SimulatorHandle, fleet: Fleet) -> None:
    changed = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}", {"region": "cn"})
    assert changed == {"id": ACCOUNT_ID, "region": "cn"}
    assert (await fleet.get("/api/1/vehicles")).status == 421
    assert (await fleet.get("/cn/api/1/vehicles")).status == 200


# --------------------------------------------------------------------- signing
async def test_signing_required_refuses_unsigned_commands(fleet: Fleet) -> None:
    reply = await fleet.command(VIN2, "charge_start")
    assert reply.status == 403
    assert reply.body == {"response": None, "error": SIGNING_REQUIRED, "error_description": ""}
    # Data and wake requests are not commands.
    assert (await fleet.get(f"/api/1/vehicles/{VIN2}/vehicle_data")).status == 200
    assert (await fleet.post(f"/api/1/vehicles/{VIN2}/wake_up")).status == 200
    # The other car takes unsigned commands.
    assert (await fleet.command(VIN, "charge_start")).status == 200


async def test_signing_required_set_through_the_admin_api(sim: SimulatorHandle, fleet: Fleet) -> None:
    detail = await sim.vehicle(command_signing="required")
    assert detail["command_signing"] == "required"
    assert (await fleet.command(VIN, "charge_start")).status == 403
    assert (await fleet.get(f"/api/1/vehicles/{VIN}")).body["response"]["command_signing"] == "required"


# ----------------------------------------------------------------------- OAuth
async def refresh(fleet: Fleet, token: str, as_json: bool = False) -> Any:
    body = {"grant_type": "refresh_token", "client_id": "client", "refresh_token": token}
    if as_json:
        return await fleet.post("/oauth2/v3/token", json=body, headers={"Content-Type": "application/json"})
    return await fleet.post("/oauth2/v3/token", data=body, headers={})


async def test_refresh_rotates(fleet: Fleet, sim: SimulatorHandle) -> None:
    first = await refresh(fleet, REFRESH_TOKEN)
    assert first.status == 200
    tokens = first.body
    assert set(tokens) == {"access_token", "refresh_token", "id_token", "expires_in", "token_type"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 28800
    assert tokens["refresh_token"].startswith("NA_")
    assert tokens["refresh_token"] != REFRESH_TOKEN
    token_claims = claims(tokens["access_token"])
    assert token_claims["sub"] == ACCOUNT_ID
    assert token_claims["ou_code"] == "NA"
    assert token_claims["aud"] == [sim.url]
    assert token_claims["scp"] == list(ALL_SCOPES)
    assert token_claims["exp"] - token_claims["iat"] == 28800
    # The new access token works.
    assert (await fleet.get("/api/1/vehicles", token=tokens["access_token"])).status == 200
    # The spent refresh token does not.
    reused = await refresh(fleet, REFRESH_TOKEN)
    assert (reused.status, reused.body) == (
        401,
        {"error": "login_required", "error_description": "Login required"},
    )
    # The new one works once, in JSON too.
    second = await refresh(fleet, tokens["refresh_token"], as_json=True)
    assert second.status == 200
    assert (await refresh(fleet, tokens["refresh_token"])).status == 401


async def test_unknown_refresh_token(fleet: Fleet) -> None:
    reply = await refresh(fleet, "EU_nothing")
    assert (reply.status, reply.body["error"]) == (401, "login_required")


@pytest.mark.parametrize("scenario", [account_spec(region="eu")])
async def test_refresh_for_an_eu_account(sim: SimulatorHandle, fleet: Fleet) -> None:
    tokens = (await refresh(fleet, REFRESH_TOKEN)).body
    assert claims(tokens["access_token"])["ou_code"] == "EU"
    assert claims(tokens["access_token"])["aud"] == [f"{sim.url}/eu"]
    assert tokens["refresh_token"].startswith("EU_")


async def test_unsupported_grant(fleet: Fleet) -> None:
    reply = await fleet.post("/oauth2/v3/token", data={"grant_type": "password"}, headers={})
    assert reply.status == 400
    assert reply.body == {"error": "unsupported_grant_type", "error_description": "password"}


async def test_token_endpoint_rejects_a_non_object(fleet: Fleet) -> None:
    reply = await fleet.post("/oauth2/v3/token", json=["x"], headers={"Content-Type": "application/json"})
    assert reply.status == 400


async def authorize(fleet: Fleet, **query: str) -> Any:
    params = {
        "response_type": "code",
        "client_id": "client",
        "redirect_uri": "http://127.0.0.1:1/callback?x=1",
        "scope": "openid offline_access vehicle_device_data",
        "state": "s-123",
        **query,
    }
    path = "/oauth2/v3/authorize?" + "&".join(f"{k}={v}" for k, v in params.items())
    return await fleet.get(path.replace(" ", "%20"), headers={}, allow_redirects=False)


async def test_authorization_code_flow(fleet: Fleet, sim: SimulatorHandle) -> None:
    reply = await authorize(fleet)
    assert reply.status == 302
    location = urlsplit(reply.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://127.0.0.1:1/callback"
    query = parse_qs(location.query)
    assert query["x"] == ["1"]
    assert query["state"] == ["s-123"]
    code = query["code"][0]
    assert code.startswith("NA_")
    exchange = {
        "grant_type": "authorization_code",
        "client_id": "client",
        "client_secret": "secret",
        "code": code,
        "redirect_uri": "http://127.0.0.1:1/callback?x=1",
        "audience": sim.url,
    }
    tokens = await fleet.post("/oauth2/v3/token", data=exchange, headers={})
    assert tokens.status == 200
    assert claims(tokens.body["access_token"])["scp"] == ["openid", "offline_access", "vehicle_device_data"]
    assert (await fleet.get("/api/1/vehicles", token=tokens.body["access_token"])).status == 200
    # Without the charging scopes, commands are refused.
    denied = await fleet.command(VIN, "charge_stop", token=tokens.body["access_token"])
    assert denied.status == 403
    # A code works once.
    again = await fleet.post("/oauth2/v3/token", data=exchange, headers={})
    assert (again.status, again.body["error"]) == (400, "invalid_auth_code")
    # The refresh token from the exchange rotates like any other.
    assert (await refresh(fleet, tokens.body["refresh_token"])).status == 200


async def test_authorize_scope_from_the_token_request(fleet: Fleet) -> None:
    reply = await authorize(fleet, scope="")
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    exchange = {"grant_type": "authorization_code", "code": code, "scope": "openid user_data"}
    tokens = await fleet.post("/oauth2/v3/token", data=exchange, headers={})
    assert claims(tokens.body["access_token"])["scp"] == ["openid", "user_data"]


two_accounts = account_spec()
two_accounts["tesla"]["accounts"].append(
    {"id": "second", "email": "second@example.com", "region": "eu", "vehicles": []}
)


@pytest.mark.parametrize("scenario", [two_accounts])
async def test_authorize_login_hint_picks_the_account(fleet: Fleet) -> None:
    reply = await authorize(fleet, login_hint="second@example.com")
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    assert code.startswith("EU_")
    tokens = await fleet.post(
        "/oauth2/v3/token", data={"grant_type": "authorization_code", "code": code}, headers={}
    )
    assert claims(tokens.body["access_token"])["sub"] == "second"


async def test_authorize_needs_a_redirect_uri(fleet: Fleet) -> None:
    reply = await fleet.get("/oauth2/v3/authorize?client_id=x", headers={})
    assert (reply.status, reply.body) == (400, {"error": "invalid_request"})


@pytest.mark.parametrize("scenario", [{}])
async def test_authorize_without_accounts(fleet: Fleet) -> None:
    reply = await authorize(fleet)
    assert (reply.status, reply.body) == (400, {"error": "no_account"})


# ---------------------------------------------------------------- admin tokens
async def test_admin_issues_tokens(sim: SimulatorHandle, fleet: Fleet) -> None:
    tokens = await issue(sim, scopes=["vehicle_device_data"], expires_in=60)
    assert tokens["expires_in"] == 60
    assert claims(tokens["access_token"])["aud"] == [sim.url]
    assert (await fleet.get("/api/1/vehicles", token=tokens["access_token"])).status == 200
    sim.advance(60)
    assert (await fleet.get("/api/1/vehicles", token=tokens["access_token"])).body == EXPIRED
    default = await issue(sim)
    assert claims(default["access_token"])["scp"] == list(ALL_SCOPES)


@pytest.mark.parametrize("scenario", [account_spec(region="eu")])
async def test_admin_tokens_carry_the_account_region(sim: SimulatorHandle) -> None:
    tokens = await issue(sim)
    assert claims(tokens["access_token"])["aud"] == [f"{sim.url}/eu"]
    assert claims(tokens["access_token"])["ou_code"] == "EU"


async def test_admin_tokens_for_an_unknown_account(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.post("/sim/accounts/nobody/tokens", headers={})
    assert (reply.status, reply.body) == (404, {"error": "no such account"})
    reply = await fleet.post("/sim/accounts/nobody", {"region": "eu"}, headers={})
    assert reply.status == 404


async def test_admin_expires_one_token(sim: SimulatorHandle, fleet: Fleet) -> None:
    other = (await issue(sim))["access_token"]
    assert await sim.call("POST", "/sim/tokens/expire", {"token": ACCESS_TOKEN}) == {"expired": 1}
    assert (await fleet.get("/api/1/vehicles")).body == EXPIRED
    assert (await fleet.get("/api/1/vehicles", token=other)).status == 200
    assert await sim.call("POST", "/sim/tokens/expire", {"token": "nope"}) == {"expired": 0}


async def test_admin_expires_every_token(sim: SimulatorHandle, fleet: Fleet) -> None:
    other = (await issue(sim))["access_token"]
    assert await sim.call("POST", "/sim/tokens/expire") == {"expired": 2}
    assert (await fleet.get("/api/1/vehicles")).status == 401
    assert (await fleet.get("/api/1/vehicles", token=other)).status == 401
    # A refresh still works: expiry is what refreshing is for.
    assert (await refresh(fleet, REFRESH_TOKEN)).status == 200


async def test_admin_revokes_refresh_tokens(sim: SimulatorHandle, fleet: Fleet) -> None:
    other = (await issue(sim))["refresh_token"]
    assert await sim.call("POST", "/sim/tokens/revoke", {"token": REFRESH_TOKEN}) == {"revoked": 1}
    assert (await refresh(fleet, REFRESH_TOKEN)).body["error"] == "login_required"
    assert await sim.call("POST", "/sim/tokens/revoke", {"token": "nope"}) == {"revoked": 0}
    assert await sim.call("POST", "/sim/tokens/revoke") == {"revoked": 2}
    assert (await refresh(fleet, other)).status == 401
