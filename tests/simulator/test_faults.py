"""Injected faults over HTTP, billing by category, and the request log."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from simulator import World, create_app
from simulator.faults import SIGNING_REQUIRED, VEHICLE_UNAVAILABLE

from ..helpers import ACCESS_TOKEN, REFRESH_TOKEN, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .conftest import Fleet

DATA = f"/api/1/vehicles/{VIN}/vehicle_data"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(vehicle_spec(), vehicle_spec(vin=VIN2, id=100002, display_name="Second"))


async def wait_for_log(sim: SimulatorHandle, count: int) -> list[dict[str, Any]]:
    """The request log once it has ``count`` entries (bounded wait)."""
    async with asyncio.timeout(5):
        while len(log := await sim.requests()) < count:
            await asyncio.sleep(0.02)
    return log


def tesla(error: str, description: str = "") -> dict[str, Any]:
    return {"response": None, "error": error, "error_description": description}


PRESETS: list[tuple[str, int, Any]] = [
    ("server_error", 500, tesla("upstream internal error")),
    ("service_unavailable", 503, tesla("service unavailable")),
    ("token_expired", 401, {"error": "token expired (401)"}),
    ("invalid_token", 401, {"error": "invalid bearer token"}),
    ("missing_scope", 403, tesla("Unauthorized missing scopes")),
    ("signing_required", 403, tesla(SIGNING_REQUIRED)),
    ("billing_limit", 402, tesla("Payment required")),
    ("account_disabled", 403, {"error": "account disabled: EXCEEDED_LIMIT"}),
    ("not_found", 404, tesla("not_found", "Vehicle not found")),
    ("vehicle_unavailable", 408, tesla(VEHICLE_UNAVAILABLE)),
]


@pytest.mark.parametrize(("kind", "status", "body"), PRESETS)
async def test_json_presets(sim: SimulatorHandle, fleet: Fleet, kind: str, status: int, body: Any) -> None:
    fault = await sim.fault(kind=kind, count=1)
    reply = await fleet.get(DATA)
    assert reply.status == status
    assert reply.body == body
    assert reply.headers["Content-Type"].startswith("application/json")
    # count=1: the next request is normal again.
    assert (await fleet.get(DATA)).status == 200
    faults = await sim.call("GET", "/sim/faults")
    assert faults == [{**fault, "hits": 1}]


async def test_rate_limit(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="rate_limit", retry_after=120)
    reply = await fleet.get(DATA)
    assert reply.status == 429
    assert reply.text == "Retry in 120 seconds\n"
    assert reply.headers["Retry-After"] == "120"
    assert reply.headers["Content-Type"].startswith("text/plain")


async def test_rate_limit_default_retry_after(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="rate_limit")
    reply = await fleet.get(DATA)
    assert reply.headers["Retry-After"] == "60"
    assert reply.text == "Retry in 60 seconds\n"


async def test_malformed(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="malformed")
    reply = await fleet.get(DATA)
    assert reply.status == 200
    assert reply.body is None  # does not parse
    assert reply.text.startswith('{"response"')


async def test_html_error(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="html_error")
    reply = await fleet.get(DATA)
    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "<html>" in reply.text


async def test_html_error_with_its_own_page(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="html_error", body="<html>maintenance</html>", path=None)
    reply = await fleet.get(DATA)
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.text == "<html>maintenance</html>"


async def test_content_type_override(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="status", status=200, body='{"response": {}}', content_type="application/json")
    reply = await fleet.get(DATA)
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body == {"response": {}}


async def test_wrong_region_points_at_a_working_base_url(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="wrong_region", count=1)
    reply = await fleet.get(DATA)
    assert reply.status == 421
    error = reply.body["error"]
    assert error.startswith(
        f"user out of region, use base URL: {sim.url}/eu, see https://developer.tesla.com/"
    )


async def test_wrong_region_with_its_own_base_url(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="wrong_region", base_url="https://fleet-api.prd.eu.vn.cloud.tesla.com")
    reply = await fleet.get(DATA)
    assert "use base URL: https://fleet-api.prd.eu.vn.cloud.tesla.com, see" in reply.body["error"]


async def test_status_with_a_body_and_headers(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(
        kind="status", status=540, body={"error": "device_unexpected_response"}, headers={"X-A": "b"}
    )
    reply = await fleet.get(DATA)
    assert reply.status == 540
    assert reply.body == {"error": "device_unexpected_response"}
    assert reply.headers["X-A"] == "b"


async def test_status_with_a_text_body(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="status", status=499, body="client closed")
    reply = await fleet.get(DATA)
    assert (reply.status, reply.text) == (499, "client closed")
    assert reply.headers["Content-Type"].startswith("text/plain")


async def test_status_without_a_status_is_500(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="status")
    reply = await fleet.get(DATA)
    assert (reply.status, reply.body) == (500, tesla("error"))


async def test_preset_with_status_and_body_overrides(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", status=504, body={"error": "gateway timeout"})
    reply = await fleet.get(DATA)
    assert (reply.status, reply.body) == (504, {"error": "gateway timeout"})


async def test_delay_then_the_normal_answer(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="delay", seconds=0.05, count=1)
    reply = await fleet.get(DATA)
    assert reply.status == 200
    assert reply.body["response"]["vin"] == VIN
    assert (await sim.call("GET", "/sim/faults"))[0]["hits"] == 1


async def test_hang_ends_with_the_client_timeout(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="hang", count=1)
    with pytest.raises(asyncio.TimeoutError):
        await fleet.get(DATA, timeout=0.3)
    assert (await fleet.get(DATA)).status == 200
    # The server notices the closed connection on its own schedule.
    log = await wait_for_log(sim, 2)
    assert sorted((r["path"], r["status"], r["billed"]) for r in log) == [(DATA, 0, False), (DATA, 200, True)]


async def test_hang_without_handler_cancellation(
    socket_enabled: None, world: World, session: aiohttp.ClientSession
) -> None:
    """The CLI's server does not cancel handlers when a client leaves; the hang notices."""
    runner = web.AppRunner(create_app(world))
    await runner.setup()
    site = web.SockSite(runner, socket.create_server(("127.0.0.1", 0)))
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fleet = Fleet(session, f"http://127.0.0.1:{port}")
    try:
        world.faults.add({"kind": "hang", "count": 1})
        with pytest.raises(asyncio.TimeoutError):
            await fleet.get(DATA, timeout=0.2)
        async with asyncio.timeout(5):
            while not world.recorder.records:
                await asyncio.sleep(0.02)
        assert world.recorder.records[0].status == 0
    finally:
        await runner.cleanup()


async def test_hang_with_a_limit_drops_the_connection(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="hang", seconds=0.1, method="POST")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await fleet.command(VIN, "charge_stop", timeout=10)


async def test_disconnect_on_a_post(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="disconnect", count=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await fleet.command(VIN, "charge_start")
    reply = await fleet.command(VIN, "charge_start")
    assert reply.body == {"response": {"result": True, "reason": ""}}
    log = await sim.requests()
    assert [r["status"] for r in log] == [0, 200]


async def test_disconnect_on_a_get_survives_the_client_retry(sim: SimulatorHandle, fleet: Fleet) -> None:
    # aiohttp retries an idempotent request once on a dropped keep-alive connection.
    await fleet.get(f"/api/1/vehicles/{VIN}")  # open a keep-alive connection
    await sim.fault(kind="disconnect", count=2)
    with pytest.raises(aiohttp.ClientError):
        await fleet.get(DATA)
    assert (await fleet.get(DATA)).status == 200


# ------------------------------------------------------------------- matching
async def test_match_by_path(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", path=r"/wake_up$")
    assert (await fleet.get(DATA)).status == 200
    assert (await fleet.post(f"/api/1/vehicles/{VIN}/wake_up")).status == 500


async def test_match_by_method(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", method="post")
    assert (await fleet.get(DATA)).status == 200
    assert (await fleet.command(VIN, "charge_stop")).status == 500


async def test_match_by_category(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="rate_limit", category="command")
    assert (await fleet.get(DATA)).status == 200
    assert (await fleet.get("/api/1/vehicles")).status == 200
    assert (await fleet.post(f"/api/1/vehicles/{VIN}/wake_up")).status == 200
    assert (await fleet.command(VIN, "charge_stop")).status == 429


async def test_match_by_vin(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="vehicle_unavailable", vin=VIN2)
    assert (await fleet.get(DATA)).status == 200
    assert (await fleet.get(f"/api/1/vehicles/{VIN2}/vehicle_data")).status == 408


async def test_match_by_vin_when_the_path_has_the_numeric_id(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="vehicle_unavailable", vin=VIN2)
    assert (await fleet.get("/api/1/vehicles/100001/vehicle_data")).status == 200
    assert (await fleet.get("/api/1/vehicles/100002/vehicle_data")).status == 408


async def test_region_prefix_does_not_change_the_category(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", category="data")
    assert (await fleet.get(f"/eu{DATA}")).status == 500


async def test_count(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", count=2)
    statuses = [(await fleet.get(DATA)).status for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_without_count_until_cleared(sim: SimulatorHandle, fleet: Fleet) -> None:
    fault = await sim.fault(kind="server_error")
    statuses = [(await fleet.get(DATA)).status for _ in range(4)]
    assert statuses == [500] * 4
    remaining = await sim.call("DELETE", f"/sim/faults/{fault['fault_id']}")
    assert remaining == []
    assert (await fleet.get(DATA)).status == 200


async def test_first_matching_fault_wins(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", count=1)
    await sim.fault(kind="rate_limit", count=1)
    statuses = [(await fleet.get(DATA)).status for _ in range(3)]
    assert statuses == [500, 429, 200]


async def test_clear_every_fault(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error")
    await sim.fault(kind="rate_limit")
    assert await sim.call("DELETE", "/sim/faults") == []
    assert await sim.call("GET", "/sim/faults") == []
    assert (await fleet.get(DATA)).status == 200


async def test_other_api_faults_leave_tesla_alone(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", api="realto")
    assert (await fleet.get(DATA)).status == 200


async def test_faults_never_touch_the_admin_api(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.fault(kind="server_error", path="/sim/")
    assert await sim.call("GET", "/sim/faults") != []


# -------------------------------------------------------------------- billing
async def test_billing_by_category_and_status(sim: SimulatorHandle, fleet: Fleet) -> None:
    assert (await fleet.get(DATA)).status == 200  # data
    await sim.fault(kind="rate_limit", count=1)
    assert (await fleet.get(DATA)).status == 429  # data, billed
    await sim.fault(kind="server_error", count=1)
    assert (await fleet.get(DATA)).status == 500  # not billed
    await sim.fault(kind="service_unavailable", count=1, category="command")
    assert (await fleet.command(VIN, "charge_stop")).status == 503  # not billed
    assert (await fleet.command(VIN, "charge_stop")).status == 200  # command
    assert (await fleet.command(VIN, "charge_stop", token="bogus")).status == 401  # command, billed
    assert (await fleet.post(f"/api/1/vehicles/{VIN2}/wake_up")).status == 200  # wake
    assert (await fleet.get("/api/1/vehicles")).status == 200  # free
    assert (await fleet.get(f"/api/1/vehicles/{VIN}")).status == 200  # free
    token = await fleet.post(
        "/oauth2/v3/token",
        data={"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN, "client_id": "x"},
        headers={},
    )
    assert token.status == 200  # auth: never billed
    billing = await sim.call("GET", "/sim/billing")
    assert billing["requests"] == {"data": 2, "command": 2, "wake": 1, "free": 2}
    assert billing["unbilled"] == 3
    assert billing["cost_usd"] == pytest.approx(2 * 0.002 + 2 * 0.001 + 0.02)
    assert billing["by_vehicle"][VIN]["requests"] == {"data": 2, "command": 2, "wake": 0, "free": 1}
    assert billing["by_vehicle"][VIN2] == {
        "requests": {"data": 0, "command": 0, "wake": 1, "free": 0},
        "cost_usd": 0.02,
    }


async def test_408_and_401_are_billed(sim: SimulatorHandle, fleet: Fleet) -> None:
    await sim.vehicle(action="state", state="asleep")
    assert (await fleet.get(DATA)).status == 408
    assert (await fleet.get(DATA, token="bogus")).status == 401
    billing = await sim.call("GET", "/sim/billing")
    assert billing["requests"]["data"] == 2


# ---------------------------------------------------------------- request log
async def test_request_log(sim: SimulatorHandle, fleet: Fleet) -> None:
    await fleet.get(f"{DATA}?endpoints=charge_state%3Bdrive_state")
    await fleet.command("100001", "set_charge_limit", {"percent": 70})
    log = await sim.requests()
    assert len(log) == 2
    first, second = log
    assert first["method"] == "GET"
    assert first["path"] == DATA
    assert first["query"] == {"endpoints": "charge_state;drive_state"}
    assert first["category"] == "data"
    assert first["vin"] == VIN
    assert first["status"] == 200
    assert first["billed"] is True
    assert first["api"] == "tesla"
    assert second["body"] == {"percent": 70}
    assert second["vin"] == VIN  # resolved from the numeric id
    assert second["category"] == "command"
    assert second["seq"] == first["seq"] + 1
    assert second["t"] == sim.world.now()
    # since= returns what came after.
    assert await sim.requests(since=first["seq"]) == [second]
    assert await sim.requests(api="admin") == []


async def test_request_log_keeps_text_bodies(sim: SimulatorHandle, fleet: Fleet) -> None:
    await fleet.post("/oauth2/v3/token", data={"grant_type": "nope"}, headers={})
    (entry,) = await sim.requests()
    assert entry["body"] == "grant_type=nope"
    assert entry["category"] == "auth"
    assert entry["billed"] is False


async def test_request_log_clear(sim: SimulatorHandle, fleet: Fleet) -> None:
    await fleet.get(DATA)
    await fleet.get(DATA)
    cleared = await sim.call("DELETE", "/sim/requests")
    assert cleared == {"last_seq": 2}
    assert await sim.requests() == []
    await fleet.get(DATA)
    (entry,) = await sim.requests()
    assert entry["seq"] == 3  # sequence numbers keep counting
    assert (await sim.call("GET", "/sim/requests"))["last_seq"] == 3
    # Billing is not reset by clearing the log.
    assert (await sim.call("GET", "/sim/billing"))["requests"]["data"] == 3


async def test_unknown_paths_are_logged(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.get("/api/1/nothing")
    assert reply.status == 404
    (entry,) = await sim.requests()
    assert (entry["path"], entry["status"]) == ("/api/1/nothing", 404)


async def test_access_token_in_the_log_is_not_needed(sim: SimulatorHandle, fleet: Fleet) -> None:
    """The log records requests, not headers: tokens never show up in it."""
    await fleet.get(DATA)
    assert ACCESS_TOKEN not in str(await sim.requests())
