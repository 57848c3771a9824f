"""The admin API under /sim/: state, clock, vehicles, faults, accounts, billing, requests."""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import ACCOUNT_ID, VIN, SimulatorHandle
from .conftest import Fleet


async def admin(fleet: Fleet, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
    return await fleet.request(method, path, json=body, headers={}, **kwargs)


# ---------------------------------------------------------------------- state
async def test_state(sim: SimulatorHandle) -> None:
    state = await sim.call("GET", "/sim/state")
    assert state["now"] == sim.world.now()
    assert state["accounts"] == [
        {"id": ACCOUNT_ID, "email": "owner@example.com", "region": "na", "vins": [VIN]}
    ]
    detail = state["vehicles"][VIN]
    assert detail["state"] == "online"
    assert detail["display_name"] == "Model 3"
    assert detail["waking"] is False
    assert detail["driving"] is False
    assert detail["command_signing"] == "off"
    assert detail["battery_level_exact"] == 77.0
    assert detail["settings"]["sleep_after"] == 900
    assert detail["charge_state"]["charging_state"] == "Stopped"
    assert detail["events"] == []
    assert state["realto"] is None


async def test_state_is_not_logged(sim: SimulatorHandle) -> None:
    await sim.call("GET", "/sim/state")
    assert await sim.requests(api="admin") == []
    assert await sim.requests() == []


# ---------------------------------------------------------------------- clock
async def test_clock_advance(sim: SimulatorHandle) -> None:
    start = sim.world.now()
    result = await sim.call("POST", "/sim/clock/advance", {"seconds": 901})
    assert result == {"now": start + 901}
    assert (await sim.vehicle())["state"] == "asleep"  # the world moved with the clock
    assert await sim.call("POST", "/sim/clock/advance") == {"now": start + 901}


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "soon"}, {"seconds": None}, [1]])
async def test_clock_advance_bad_input(sim: SimulatorHandle, fleet: Fleet, body: Any) -> None:
    start = sim.world.now()
    reply = await admin(fleet, "POST", "/sim/clock/advance", body)
    assert reply.status == 400
    assert sim.world.now() == start


async def test_bad_json_is_400(sim: SimulatorHandle, fleet: Fleet) -> None:
    reply = await fleet.request(
        "POST", "/sim/clock/advance", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400
    assert "error" in reply.body


# ------------------------------------------------------------------- vehicles
async def test_vehicle_get(sim: SimulatorHandle, fleet: Fleet) -> None:
    detail = await sim.vehicle()
    assert detail["vin"] == VIN
    reply = await admin(fleet, "GET", "/sim/vehicles/NOPE")
    assert (reply.status, reply.body) == (404, {"error": "no vehicle NOPE"})
    reply = await admin(fleet, "POST", "/sim/vehicles/NOPE", {"action": "unplug"})
    assert reply.status == 404


async def test_vehicle_change_settings_name_and_signing(sim: SimulatorHandle) -> None:
    detail = await sim.vehicle(
        settings={"sleep_after": 60, "data_keeps_awake": False},
        display_name="Renamed",
        command_signing="allowed",
    )
    assert detail["settings"]["sleep_after"] == 60
    assert detail["settings"]["data_keeps_awake"] is False
    assert detail["display_name"] == "Renamed"
    assert detail["command_signing"] == "allowed"
    sim.advance(60)
    assert (await sim.vehicle())["state"] == "asleep"


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"action": "unplug"}, lambda d: d["charge_state"]["charging_state"] == "Disconnected"),
        ({"action": "plug_in"}, lambda d: d["charge_state"]["conn_charge_cable"] == "IEC"),
        ({"action": "drive", "minutes": 5, "miles": 2}, lambda d: d["driving"] is True),
        ({"action": "drive"}, lambda d: d["driving"] is True),
        ({"action": "state", "state": "asleep"}, lambda d: d["state"] == "asleep"),
        ({"action": "state", "state": "offline"}, lambda d: d["state"] == "offline"),
        ({"action": "pilot_current", "amps": 0}, lambda d: d["charge_state"]["charging_state"] == "NoPower"),
        ({"action": "pilot_current", "amps": 10}, lambda d: d["charge_state"]["charger_pilot_current"] == 10),
        ({"action": "battery_level", "level": 42.5}, lambda d: d["battery_level_exact"] == 42.5),
    ],
)
async def test_vehicle_actions(sim: SimulatorHandle, change: dict[str, Any], check: Any) -> None:
    detail = await sim.vehicle(**change)
    assert check(detail), detail


@pytest.mark.parametrize(
    "change",
    [
        {"action": "fly"},
        {"action": "state"},
        {"action": "state", "state": "dreaming"},
        {"action": "pilot_current", "amps": "lots"},
        {"action": "battery_level"},
        {"settings": {"naps": 3}},
        {"settings": {"sleep_after": "long"}},
        {"settings": "fast"},
        {"command_signing": "sometimes"},
        {"display_name": 5},
        {"settings": {"data_keeps_awake": "false"}},
        {"settings": {"sleep_after": -1}},
        {"colour": "red"},
        [1, 2],
    ],
)
async def test_vehicle_change_bad_input(sim: SimulatorHandle, fleet: Fleet, change: Any) -> None:
    before = await sim.vehicle()
    reply = await admin(fleet, "POST", f"/sim/vehicles/{VIN}", change)
    assert reply.status == 400, reply.text
    assert "error" in reply.body
    assert await sim.vehicle() == before


async def test_vehicle_change_is_all_or_nothing(sim: SimulatorHandle, fleet: Fleet) -> None:
    before = await sim.vehicle()
    reply = await admin(
        fleet,
        "POST",
        f"/sim/vehicles/{VIN}",
        {"settings": {"sleep_after": 5, "wake_delay": "x"}, "display_name": "Half", "action": "fly"},
    )
    assert reply.status == 400
    assert await sim.vehicle() == before


# --------------------------------------------------------------------- faults
async def test_faults_list_add_delete(sim: SimulatorHandle, fleet: Fleet) -> None:
    assert await sim.call("GET", "/sim/faults") == []
    first = await sim.fault(kind="rate_limit", path="vehicle_data", retry_after=5)
    assert first["fault_id"] == 1
    assert first["kind"] == "rate_limit"
    assert first["retry_after"] == 5
    assert first["hits"] == 0
    assert first["api"] == "tesla"
    second = await sim.fault(kind="delay", seconds=0.5)
    assert [f["fault_id"] for f in await sim.call("GET", "/sim/faults")] == [1, 2]
    assert await sim.call("DELETE", "/sim/faults/1") == [second]
    assert await sim.call("DELETE", "/sim/faults/99") == [second]
    assert await sim.call("DELETE", "/sim/faults") == []
    third = await sim.fault(kind="hang")
    assert third["fault_id"] == 3  # ids are never reused


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"kind": "meteor"},
        {"kind": "status", "colour": "red"},
        {"kind": "status", "fault_id": 7},
        {"kind": "status", "hits": 3},
        {"kind": "status", "count": "twice"},
        {"kind": "status", "count": -1},
        {"kind": "status", "count": True},
        {"kind": "status", "status": "teapot"},
        {"kind": "status", "status": 99},
        {"kind": "status", "path": "(unclosed"},
        {"kind": "status", "path": 5},
        {"kind": "status", "method": ["GET"]},
        {"kind": "status", "headers": "X-A: b"},
        {"kind": "status", "headers": {"X-A": 1}},
        {"kind": "delay", "seconds": "long"},
        {"kind": "delay", "seconds": -1},
        {"kind": "rate_limit", "retry_after": "soon"},
        [1],
    ],
)
async def test_fault_bad_input(sim: SimulatorHandle, fleet: Fleet, spec: Any) -> None:
    reply = await admin(fleet, "POST", "/sim/faults", spec)
    assert reply.status == 400, reply.text
    assert "error" in reply.body
    assert await sim.call("GET", "/sim/faults") == []
    # And the simulator still answers normally.
    assert (await fleet.get(f"/api/1/vehicles/{VIN}")).status == 200


async def test_fault_delete_with_a_bad_id(fleet: Fleet) -> None:
    reply = await admin(fleet, "DELETE", "/sim/faults/first")
    assert reply.status == 404


# ------------------------------------------------------------------- accounts
async def test_account_region(sim: SimulatorHandle, fleet: Fleet) -> None:
    assert await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}", {"region": "eu"}) == {
        "id": ACCOUNT_ID,
        "region": "eu",
    }
    assert await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}", {}) == {"id": ACCOUNT_ID, "region": "eu"}
    reply = await admin(fleet, "POST", f"/sim/accounts/{ACCOUNT_ID}", {"region": "mars"})
    assert reply.status == 400
    assert sim.world.accounts[ACCOUNT_ID].region == "eu"


async def test_account_tokens_bad_input(fleet: Fleet) -> None:
    reply = await admin(fleet, "POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {"expires_in": "long"})
    assert reply.status == 400
    reply = await admin(fleet, "POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {"scopes": "openid"})
    assert reply.status == 400


# ----------------------------------------------------------- requests/billing
async def test_requests_filters(sim: SimulatorHandle, fleet: Fleet) -> None:
    await fleet.get("/api/1/vehicles")
    await fleet.get(f"/api/1/vehicles/{VIN}/vehicle_data")
    everything = await sim.call("GET", "/sim/requests")
    assert everything["last_seq"] == 2
    assert [r["seq"] for r in everything["requests"]] == [1, 2]
    assert [r["seq"] for r in (await sim.call("GET", "/sim/requests?since=1"))["requests"]] == [2]
    assert (await sim.call("GET", "/sim/requests?api=realto"))["requests"] == []
    reply = await admin(fleet, "GET", "/sim/requests?since=last")
    assert reply.status == 400


async def test_billing_starts_empty(sim: SimulatorHandle) -> None:
    assert await sim.call("GET", "/sim/billing") == {
        "requests": {"data": 0, "command": 0, "wake": 0, "free": 0},
        "unbilled": 0,
        "cost_usd": 0.0,
        "by_vehicle": {},
    }


async def test_unknown_admin_route(fleet: Fleet) -> None:
    reply = await admin(fleet, "GET", "/sim/nothing")
    assert reply.status == 404
