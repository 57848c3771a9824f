"""The tesla-http-proxy mode over TLS: signed commands, prefixed refusals, its own errors."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from simulator import World
from simulator.faults import VEHICLE_UNAVAILABLE

from ..helpers import VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet

OK = {"response": {"result": True, "reason": ""}}


def refused(reason: str) -> dict[str, Any]:
    return {
        "response": {"result": False, "reason": f"car could not execute command: {reason}"},
        "error": "",
        "error_description": "",
    }


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(command_signing="required"),
        vehicle_spec(vin=VIN2, id=100002, display_name="Old S", command_signing="off"),
        region="eu",  # the proxy finds the region itself: no 421 here
    )


async def test_it_is_https_with_a_trusted_certificate(proxy: Fleet) -> None:
    assert proxy.base.startswith("https://127.0.0.1:")
    reply = await proxy.get("/status", headers={})
    assert (reply.status, reply.text) == (200, "ok")


async def test_plain_http_is_refused(proxy: Fleet) -> None:
    with pytest.raises(aiohttp.ClientError):
        await proxy.session.get(proxy.base.replace("https", "http") + "/status")


async def test_signed_commands_succeed_for_a_car_that_requires_signing(proxy: Fleet, world: World) -> None:
    reply = await proxy.command(VIN, "charge_start")
    assert (reply.status, reply.body) == (200, OK)
    assert world.vehicles[VIN].charging_state == "Starting"
    reply = await proxy.command(VIN, "set_charge_limit", {"percent": 90})
    assert (reply.status, reply.body) == (200, OK)
    assert world.vehicles[VIN].limit == 90


async def test_cars_without_signing_work_too(proxy: Fleet) -> None:
    reply = await proxy.command(VIN2, "set_charging_amps", {"charging_amps": 8})
    assert (reply.status, reply.body) == (200, OK)


@pytest.mark.parametrize(
    ("command", "params", "reason"),
    [
        ("charge_stop", {}, "not_charging"),
        ("set_charge_limit", {"percent": 80}, "already_set"),
        ("charge_standard", {}, "already_standard"),
        ("charge_port_door_close", {}, "cable_connected"),
    ],
)
async def test_refusals_carry_the_prefix(
    proxy: Fleet, command: str, params: dict[str, Any], reason: str
) -> None:
    reply = await proxy.command(VIN, command, params)
    assert (reply.status, reply.body) == (200, refused(reason))


async def test_asleep_gives_500_with_the_vehicle_unavailable_body(proxy: Fleet, world: World) -> None:
    world.vehicles[VIN].set_state("asleep")
    reply = await proxy.command(VIN, "charge_start")
    assert reply.status == 500
    assert reply.body == {"response": None, "error": VEHICLE_UNAVAILABLE, "error_description": ""}
    assert world.vehicles[VIN].state == "asleep"  # the proxy does not wake the car
    # Data requests pass Tesla's own 408 through.
    data = await proxy.get(f"/api/1/vehicles/{VIN}/vehicle_data")
    assert data.status == 408


async def test_commands_need_a_vin_in_the_path(proxy: Fleet) -> None:
    reply = await proxy.command("100001", "charge_start")
    assert reply.status == 404
    assert reply.body == {
        "response": None,
        "error": "expected 17-character VIN in path (do not user Fleet API ID)",
        "error_description": "",
    }


async def test_forwarded_requests_take_the_numeric_id(proxy: Fleet) -> None:
    reply = await proxy.get("/api/1/vehicles/100001/vehicle_data")
    assert reply.status == 200
    assert reply.body["response"]["vin"] == VIN


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Token abc"}, {"Content-Type": "application/json"}]
)
async def test_missing_token_is_403(proxy: Fleet, headers: dict[str, str]) -> None:
    body = {"response": None, "error": "client did not provide an OAuth token", "error_description": ""}
    reply = await proxy.post(f"/api/1/vehicles/{VIN}/command/charge_start", headers=headers)
    assert (reply.status, reply.body) == (403, body)
    listing = await proxy.get("/api/1/vehicles", headers=headers)
    assert (listing.status, listing.body) == (403, body)


async def test_unknown_token_is_tesla_401(proxy: Fleet) -> None:
    reply = await proxy.get("/api/1/vehicles", token="nope")
    assert (reply.status, reply.body) == (401, {"error": "invalid bearer token"})


@pytest.mark.parametrize(
    ("command", "params", "reason"),
    [
        ("set_charge_limit", {"percent": "80"}, "invalid percent param"),
        ("set_charging_amps", {"charging_amps": "16"}, "invalid charging_amps param"),
        ("set_scheduled_charging", {"enable": "true"}, "invalid enable param"),
        ("set_charge_limit", {}, "missing percent param"),
    ],
)
async def test_string_params_are_400(proxy: Fleet, command: str, params: dict[str, Any], reason: str) -> None:
    reply = await proxy.command(VIN, command, params)
    assert reply.status == 400
    assert reply.body == {
        "response": {"result": False, "reason": reason},
        "error": "",
        "error_description": "",
    }


async def test_no_region_redirect_behind_the_proxy(proxy: Fleet) -> None:
    reply = await proxy.get("/api/1/vehicles")
    assert reply.status == 200
    assert [v["vin"] for v in reply.body["response"]] == [VIN, VIN2]


async def test_both_apps_share_one_world(proxy: Fleet, sim: SimulatorHandle) -> None:
    """A Fleet app and a proxy app on the same world see the same cars."""
    fleet = Fleet(proxy.session, f"{sim.url}/eu")
    assert (await fleet.command(VIN, "charge_start")).status == 403  # unsigned on the Fleet host
    assert (await proxy.command(VIN, "charge_start")).body == OK
    state = (await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data")).body["response"]["charge_state"]
    assert state["charging_state"] == "Starting"
    # The log records both, one world.
    log = await sim.requests()
    assert [r["status"] for r in log] == [403, 200, 200]
