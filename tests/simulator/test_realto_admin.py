"""The re.alto simulator's admin routes under /sim/realto, faults on its paths, and
scenarios (files, the demo, the command line) with a ``realto:`` key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest
import yaml

from simulator import FakeClock, build_world, create_app, default_spec, load_spec
from simulator.__main__ import parse_args
from simulator.scenario import scenario_start

from ..helpers import ENTITY_ID, ENTITY_ID2, SimulatorHandle, realto_entity_spec, realto_spec
from .realto_http import Realto

PV_ID = "0f0f0f0f-0000-4000-8000-0000000000b1"
COMMANDS = f"/entities/{ENTITY_ID}/commands"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(
        realto_entity_spec(),
        realto_entity_spec(id=ENTITY_ID2, vin="KNACC81GFN5000002"),
        {"id": PV_ID, "type": "PV"},
        tesla=True,
    )


@pytest.fixture
def realto(sim: SimulatorHandle, session: aiohttp.ClientSession) -> Realto:
    return Realto(session, sim)


async def test_state_includes_the_platform(sim: SimulatorHandle, realto: Realto):
    state = await sim.call("GET", "/sim/state")
    assert set(state["realto"]["entities"]) == {ENTITY_ID, ENTITY_ID2, PV_ID}
    assert list(state["vehicles"]) == ["LRW3E7EK4NC000001"]  # the re.alto car is not a Tesla
    status, described = await realto.admin("GET", "")
    assert status == 200
    assert described["clients"] == ["test-realto-client"]
    assert described["entities"][ENTITY_ID]["readings"] == 1  # the admin call synced


async def test_entity_detail(realto: Realto):
    status, detail = await realto.admin("GET", f"/entities/{ENTITY_ID}")
    assert status == 200
    assert detail["vehicle"]["battery_level"] == 50
    assert detail["vehicle"]["plugged_in"] is True
    assert detail["last_reading"]["data"]["isPluggedIn"] is True
    assert (await realto.admin("GET", "/entities/nobody"))[0] == 404
    status, pv = await realto.admin("GET", f"/entities/{PV_ID}")
    assert (status, pv["vehicle"], pv["last_reading"]) == (200, None, None)


async def test_entity_actions_and_settings(realto: Realto, sim: SimulatorHandle):
    status, detail = await realto.admin(
        "POST",
        f"/entities/{ENTITY_ID}",
        {
            "action": "battery_level",
            "level": 31,
            "name": "Family car",
            "reading_interval": 60,
            "reading_latency": 5,
            "omit": ["location", "odometer"],
            "location": {"latitude": 1.5, "longitude": 2.5},
            "reporting": True,
            "online": True,
            "reading": True,
        },
    )
    assert status == 200
    assert detail["name"] == "Family car"
    assert (detail["reading_interval"], detail["reading_latency"]) == (60, 5)
    assert detail["omit"] == ["location", "odometer"]
    assert detail["readings"] == 2
    assert detail["last_reading"]["data"]["stateOfCharge"]["value"] == 50.0  # the new one lands in 5 s
    sim.advance(5)
    reply = await realto.get(f"/entities/{ENTITY_ID}/readings/last")
    assert reply.body["data"]["stateOfCharge"]["value"] == 31.0
    assert "odometer" not in reply.body["data"]
    assert (await realto.get(f"/entities/{ENTITY_ID}")).body["name"] == "Family car"


async def test_plug_in_with_or_without_charging(realto: Realto, sim: SimulatorHandle):
    await realto.admin("POST", f"/entities/{ENTITY_ID}", {"action": "unplug"})
    _, detail = await realto.admin("POST", f"/entities/{ENTITY_ID}", {"action": "plug_in", "charging": False})
    assert (detail["vehicle"]["plugged_in"], detail["vehicle"]["charging"]) == (True, False)
    await realto.admin("POST", f"/entities/{ENTITY_ID}", {"action": "unplug"})
    _, detail = await realto.admin("POST", f"/entities/{ENTITY_ID}", {"action": "plug_in"})
    assert detail["vehicle"]["charging"] is True  # a car charges when plugged in


@pytest.mark.parametrize(
    "body",
    [
        {"name": "changed", "action": "fly"},
        {"name": "changed", "action": "battery_level"},
        {"name": "changed", "colour": "red"},
        {"name": "changed", "omit": ["colour"]},
        {"name": "changed", "reading_interval": 0},
        {"name": "changed", "reading_latency": -1},
        {"name": "changed", "reading_interval": "often"},
    ],
)
async def test_bad_entity_changes_change_nothing(realto: Realto, body: dict[str, Any]):
    status, reply = await realto.admin("POST", f"/entities/{ENTITY_ID}", body)
    assert status == 400
    assert "error" in reply
    _, detail = await realto.admin("GET", f"/entities/{ENTITY_ID}")
    assert detail["name"] == "ID.4"


async def test_entity_changes_need_an_entity_and_a_car(realto: Realto, sim: SimulatorHandle):
    assert (await realto.admin("POST", "/entities/nobody", {"online": False}))[0] == 404
    assert (await realto.admin("POST", f"/entities/{PV_ID}", {"reading": True}))[0] == 400
    assert (await realto.admin("POST", f"/entities/{PV_ID}", {"action": "plug_in"}))[0] == 400
    status, detail = await realto.admin("POST", f"/entities/{PV_ID}", {"online": False})
    assert (status, detail["online"]) == (200, False)
    url = f"{sim.url}/sim/realto/entities/{ENTITY_ID}"
    json_type = {"Content-Type": "application/json"}
    async with sim.admin.post(url, data="{nope", headers=json_type) as response:
        assert response.status == 400
    async with sim.admin.post(url, json=[1]) as response:
        assert response.status == 400
    async with sim.admin.post(url, headers=json_type) as response:
        assert response.status == 200  # no body: nothing to change


async def test_command_log(realto: Realto, sim: SimulatorHandle):
    created = await realto.post(COMMANDS, {"type": "StartCharging"})
    sim.advance(20)
    status, commands = await realto.admin("GET", f"/commands?entity={ENTITY_ID}")
    assert status == 200
    assert [c["id"] for c in commands] == [created.body["id"]]
    assert [h["status"] for h in commands[0]["history"]] == ["Pending", "Triggered", "Sent", "Succeeded"]
    assert (commands[0]["ignoreCooldown"], commands[0]["batchId"]) == (False, None)
    assert (await realto.admin("GET", f"/commands?entity={PV_ID}"))[1] == []
    assert len((await realto.admin("GET", "/commands"))[1]) == 1


async def test_cooldown_route(realto: Realto):
    status, cooldown = await realto.admin(
        "POST", "/cooldown", {"mode": "defer", "status": 429, "seconds": 300}
    )
    assert (status, cooldown) == (200, {"mode": "defer", "status": 429, "seconds": 300.0})
    assert (await realto.admin("POST", "/cooldown", {"mode": "later"}))[0] == 400
    assert (await realto.admin("POST", "/cooldown", {"volume": 11}))[0] == 400
    first = await realto.post(COMMANDS, {"type": "StartCharging"})
    second = await realto.post(COMMANDS, {"type": "StopCharging"})
    assert second.status == 201
    assert second.body["triggerTime"] == "2026-01-01T00:05:00Z"
    assert first.body["triggerTime"] == "2026-01-01T00:00:00Z"


async def test_reject_with_429_sends_retry_after(realto: Realto, sim: SimulatorHandle):
    await realto.admin("POST", "/cooldown", {"status": 429})
    await realto.post(COMMANDS, {"type": "StartCharging"})
    sim.advance(59.5)
    reply = await realto.post(COMMANDS, {"type": "StopCharging"})
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "541"
    assert reply.body["remainingSeconds"] == 541
    assert reply.body["errors"] == [
        {"code": "CommandCooldownActive", "message": "Retry after 2026-01-01T00:10:00Z"}
    ]
    ignored = await realto.post(COMMANDS, {"type": "StopCharging"}, ignoreCooldown="true")
    assert ignored.status == 201


async def test_lifecycle_route(realto: Realto, sim: SimulatorHandle):
    status, lifecycle = await realto.admin(
        "POST", "/lifecycle", {"trigger_delay": 0, "send_delay": 1, "confirm_delay": 1}
    )
    assert (status, lifecycle) == (200, {"trigger_delay": 0.0, "send_delay": 1.0, "confirm_delay": 1.0})
    assert (await realto.admin("POST", "/lifecycle", {"send_delay": -1}))[0] == 400
    created = await realto.post(COMMANDS, {"type": "StartCharging"})
    sim.advance(2)
    assert (await realto.get(f"{COMMANDS}/{created.body['id']}")).body["status"] == "Succeeded"


async def test_settings_route(realto: Realto):
    status, settings = await realto.admin(
        "POST", "/settings", {"schedule_response": "legacy", "token_lifetime": 120, "max_page_size": 5}
    )
    assert (status, settings) == (
        200,
        {"schedule_response": "legacy", "token_lifetime": 120, "max_page_size": 5},
    )
    for bad in (
        {"schedule_response": "xml"},
        {"max_page_size": 0},
        {"token_lifetime": "long"},
        {"colour": 1},
    ):
        assert (await realto.admin("POST", "/settings", {"token_lifetime": 7, **bad}))[0] == 400
    assert (await realto.admin("GET", ""))[1]["token_lifetime"] == 120  # unchanged by the refusals


async def test_failures_routes(realto: Realto, sim: SimulatorHandle):
    status, rule = await realto.admin("POST", "/failures", {"title": "OemDown", "type": "StartCharging"})
    assert status == 200
    assert (rule["rule_id"], rule["stage"], rule["count"], rule["hits"]) == (1, "confirm", 1, 0)
    assert (await realto.admin("POST", "/failures", {"stage": "never"}))[0] == 400
    assert (await realto.admin("POST", "/failures", {"why": "not"}))[0] == 400
    created = await realto.post(COMMANDS, {"type": "StartCharging"})
    sim.advance(20)
    command = (await realto.get(f"{COMMANDS}/{created.body['id']}")).body
    assert (command["status"], command["error"]["title"]) == ("Failed", "OemDown")
    _, rules = await realto.admin("GET", "/failures")
    assert rules[0]["hits"] == 1
    assert (await realto.admin("DELETE", "/failures"))[1] == []
    assert (await realto.admin("GET", "/failures"))[1] == []


async def test_expire_tokens_route(realto: Realto, sim: SimulatorHandle):
    other = sim.world.realto.issue_token("test-realto-client")["access_token"]
    status, result = await realto.admin("POST", "/tokens/expire", {"token": other})
    assert (status, result) == (200, {"expired": 1})
    assert (await realto.get("/entities", token=other)).status == 401
    assert (await realto.get("/entities")).status == 200
    assert (await realto.admin("POST", "/tokens/expire"))[1] == {"expired": 1}
    assert (await realto.get("/entities")).status == 401


async def test_faults_on_realto_paths(realto: Realto, sim: SimulatorHandle):
    # A fault for one car (``vin`` is the VIN of the entity in the path) and a body override.
    await sim.fault(kind="server_error", api="realto", vin="KNACC81GFN5000002", body={"title": "Down"})
    await sim.fault(kind="rate_limit", api="realto", path="/readings", retry_after=7, count=1)
    assert (await realto.get(f"/entities/{ENTITY_ID}")).status == 200
    limited = await realto.get(f"/entities/{ENTITY_ID}/readings/last")
    assert (limited.status, limited.headers["Retry-After"]) == (429, "7")
    assert (await realto.get(f"/entities/{ENTITY_ID}/readings/last")).status == 200
    down = await realto.get(f"/entities/{ENTITY_ID2}")
    assert (down.status, down.body) == (500, {"title": "Down"})
    tesla_fault = await sim.fault(kind="server_error")  # api defaults to tesla
    assert tesla_fault["api"] == "tesla"
    assert (await realto.get(f"/entities/{ENTITY_ID}")).status == 200


# ------------------------------------------------------------------ scenarios
def test_the_demo_has_a_realto_ev(clock: FakeClock):
    world = build_world(default_spec(), clock)
    realto = world.realto
    assert realto is not None
    [ev] = realto.entities.values()
    assert ev.name == "ID.4"
    assert ev.vehicle is not None
    assert ev.vehicle.plugged
    assert not ev.vehicle.charging
    assert realto.clients == {"demo-client": "demo-secret"}
    assert len(world.vehicles) == 2  # the Tesla demo is unchanged


def test_a_scenario_file_with_a_realto_key(tmp_path: Path, clock: FakeClock):
    path = tmp_path / "realto.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "start": "2026-03-01T08:00:00Z",
                "realto": {
                    "clients": [{"id": "c", "secret": "s"}],
                    "cooldown": {"mode": "fail"},
                    "entities": [{"id": "ev", "name": "e-Golf", "plugged_in": False}],
                    "timeline": [{"at": 3600, "entity": "ev", "action": "plug_in"}],
                },
            }
        )
    )
    args = parse_args(["--scenario", str(path), "--port", "0"])
    spec = load_spec(args.scenario)
    start = scenario_start(spec)
    assert start is not None
    world = build_world(spec, FakeClock(start))
    ev = world.realto.entities["ev"]
    assert world.realto.cooldown.mode == "fail"
    world.clock.advance(3600)
    world.sync()
    assert ev.vehicle.plugged
    assert world.realto.describe()["timeline"] == 0


async def test_no_realto_routes_without_the_key(socket_enabled: None, clock: FakeClock):
    world = build_world({}, clock)
    server = TestServer(create_app(world), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{server.make_url('/api/v1/authentication')}", json={}) as response:
                assert response.status == 404
            async with session.get(f"{server.make_url('/sim/state')}") as response:
                assert (await response.json())["realto"] is None
    finally:
        await server.close()


async def test_the_proxy_app_does_not_serve_realto(socket_enabled: None, clock: FakeClock):
    world = build_world(realto_spec(), clock)
    server = TestServer(create_app(world, "proxy"), host="127.0.0.1")
    await server.start_server()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{server.make_url('/sim/realto')}") as response,
        ):
            assert response.status == 404
    finally:
        await server.close()
