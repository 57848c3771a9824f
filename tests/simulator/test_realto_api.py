"""The re.alto simulator's HTTP API: authentication, entities, readings, commands."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest

from simulator.realto.api import category_of

from ..helpers import (
    ENTITY_ID,
    ENTITY_ID2,
    REALTO_CLIENT_ID,
    REALTO_SECRET,
    REALTO_VIN,
    SimulatorHandle,
    realto_entity_spec,
    realto_spec,
)
from .realto_http import Realto

PV_ID = "0f0f0f0f-0000-4000-8000-0000000000b1"
VIEWER_ID = "0f0f0f0f-0000-4000-8000-0000000000b3"
COMMANDS = f"/entities/{ENTITY_ID}/commands"
T0 = "2026-01-01T00:00:00Z"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(
        realto_entity_spec(),
        realto_entity_spec(id=ENTITY_ID2, name=None, vin="KNACC81GFN5000002", plugged_in=False),
        {"id": PV_ID, "type": "PV", "manufacturer": "SMA"},
        realto_entity_spec(id=VIEWER_ID, vin="VIEWER00000000004", permissions={REALTO_CLIENT_ID: "Viewer"}),
        tesla=True,
    )


@pytest.fixture
def realto(sim: SimulatorHandle, session: aiohttp.ClientSession) -> Realto:
    return Realto(session, sim)


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# ------------------------------------------------------------ authentication
async def test_authentication_issues_a_jwt_like_token(realto: Realto, sim: SimulatorHandle):
    reply = await realto.post(
        "/authentication", {"clientId": REALTO_CLIENT_ID, "clientSecret": REALTO_SECRET}, token=None
    )
    assert reply.status == 200
    assert reply.body["token_type"] == "Bearer"
    assert reply.body["expires_in"] == 3599
    claims = _claims(reply.body["access_token"])
    assert claims["sub"] == REALTO_CLIENT_ID
    assert claims["exp"] == int(sim.world.clock.now()) + 3599
    entity = await realto.get(f"/entities/{ENTITY_ID}", token=reply.body["access_token"])
    assert entity.status == 200


@pytest.mark.parametrize(
    ("kwargs", "status", "title"),
    [
        ({"json": {"clientId": REALTO_CLIENT_ID, "clientSecret": "nope"}}, 401, "Unauthorized"),
        ({"json": {"clientId": 7, "clientSecret": REALTO_SECRET}}, 401, "Unauthorized"),
        ({"json": ["clientId"]}, 400, "One or more validation errors occurred."),
        ({"data": "{broken", "headers": None}, 400, "One or more validation errors occurred."),
        ({}, 400, "One or more validation errors occurred."),
    ],
)
async def test_authentication_refusals(realto: Realto, kwargs: dict[str, Any], status: int, title: str):
    kwargs.pop("headers", None)
    reply = await realto.request("POST", "/authentication", token=None, **kwargs)
    assert reply.status == status
    assert reply.body["title"] == title
    assert reply.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("token", "challenge"), [(None, "Bearer"), ("forged", 'Bearer error="invalid_token"')]
)
async def test_missing_or_unknown_token(realto: Realto, token: str | None, challenge: str):
    reply = await realto.get("/entities", token=token)
    assert reply.status == 401
    assert reply.headers["Content-Length"] == "0"
    assert reply.headers["WWW-Authenticate"] == challenge


async def test_an_expired_token_says_so(realto: Realto, sim: SimulatorHandle):
    sim.advance(3600)  # the fixed token lives token_lifetime (3599 s)
    reply = await realto.get("/entities")
    assert reply.status == 401
    assert "The token expired at '2026-01-01T00:59:59Z'" in reply.headers["WWW-Authenticate"]


# ------------------------------------------------------------------ entities
async def test_entity_has_both_shapes(realto: Realto):
    reply = await realto.get(f"/entities/{ENTITY_ID}")
    assert reply.status == 200
    body = reply.body
    assert body["id"] == ENTITY_ID
    assert body["type"] == "EV"
    assert body["name"] == "ID.4"
    assert (body["brand"], body["identifier"], body["isOnline"]) == ("Volkswagen", REALTO_VIN, True)
    assert body["lastSeen"] == T0
    assert body["created"] == "2025-12-31T00:00:00Z"
    assert body["information"] == {
        "type": "EV",
        "manufacturer": "Volkswagen",
        "model": "ID.4 Pro",
        "vin": REALTO_VIN,
        "reference": REALTO_VIN,
    }
    assert set(body) >= {"tenantId", "collectiveId", "owner", "reference", "properties", "systemProperties"}
    unnamed = await realto.get(f"/entities/{ENTITY_ID2}")
    assert "name" not in unnamed.body
    pv = await realto.get(f"/entities/{PV_ID}")
    assert (pv.body["type"], pv.body["identifier"], pv.body["lastSeen"]) == ("PV", None, None)


async def test_entity_list_pages(realto: Realto, sim: SimulatorHandle):
    first = await realto.get("/entities", pageSize="3")
    assert [e["id"] for e in first.body["data"]] == [ENTITY_ID, ENTITY_ID2, PV_ID]
    token = first.body["meta"]["continuationToken"]
    assert first.body["meta"]["pageSize"] == 3
    assert first.body["links"]["next"] == f"/api/v1/entities?pageSize=3&continuationToken={token}"
    second = await realto.get("/entities", pageSize="3", continuationToken=token)
    assert [e["id"] for e in second.body["data"]] == [VIEWER_ID]
    assert second.body["meta"]["continuationToken"] is None
    assert second.body["links"]["next"] is None
    default = await realto.get("/entities")
    assert default.body["meta"]["pageSize"] == 25
    sim.world.realto.max_page_size = 2
    clamped = await realto.get("/entities", pageSize="50")
    assert clamped.body["meta"]["pageSize"] == 2
    assert len(clamped.body["data"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": "many"}, "pageSize"),
        ({"pageSize": "0"}, "pageSize"),
        ({"continuationToken": "!!!"}, "continuationToken"),
        ({"continuationToken": base64.urlsafe_b64encode(b"offset:x").decode()}, "continuationToken"),
    ],
)
async def test_bad_paging_parameters(realto: Realto, params: dict[str, str], field: str):
    reply = await realto.get("/entities", **params)
    assert reply.status == 400
    assert field in reply.body["errors"]


@pytest.mark.parametrize(
    "path",
    ["/entities/nope", "/entities/nope/readings", "/entities/nope/commands", "/entities/nope/readings/last"],
)
async def test_unknown_entity_is_404(realto: Realto, path: str):
    reply = await realto.get(path, start=T0)
    assert reply.status == 404
    assert reply.body["detail"] == "Entity 'nope' was not found."


# ------------------------------------------------------------------ readings
async def test_last_reading_shape(realto: Realto):
    reply = await realto.get(f"/entities/{ENTITY_ID}/readings/last")
    assert reply.status == 200
    assert reply.body["entityId"] == ENTITY_ID
    assert reply.body["measured"] == reply.body["processed"] == reply.body["received"] == T0
    assert reply.body["data"] == {
        "stateOfCharge": {"unit": "%", "value": 50.0},
        "range": {"unit": "km", "value": 200.0},
        "odometer": {"unit": "km", "value": 12000.0},
        "isCharging": False,
        "isPluggedIn": True,
    }


async def test_entity_without_readings(realto: Realto):
    reply = await realto.get(f"/entities/{PV_ID}/readings/last")
    assert reply.status == 404
    assert "No readings" in reply.body["detail"]


async def test_reading_list_window_and_paging(realto: Realto, sim: SimulatorHandle):
    sim.advance(1500)  # samples at 0, 300, ..., 1500
    reply = await realto.get(f"/entities/{ENTITY_ID}/readings", start=T0, pageSize="4")
    assert [r["measured"] for r in reply.body["data"]] == [
        T0,
        "2026-01-01T00:05:00Z",
        "2026-01-01T00:10:00Z",
        "2026-01-01T00:15:00Z",
    ]
    assert reply.body["meta"]["continuationToken"]
    window = await realto.get(
        f"/entities/{ENTITY_ID}/readings", start="2026-01-01T00:04:00Z", end="2026-01-01T00:10:00"
    )
    assert [r["measured"] for r in window.body["data"]] == ["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"]


@pytest.mark.parametrize(
    ("params", "field"), [({}, "start"), ({"start": "soon"}, "start"), ({"start": T0, "end": "x"}, "end")]
)
async def test_reading_list_needs_a_valid_window(realto: Realto, params: dict[str, str], field: str):
    reply = await realto.get(f"/entities/{ENTITY_ID}/readings", **params)
    assert reply.status == 400
    assert field in reply.body["errors"]


# ------------------------------------------------------------------ commands
async def test_trigger_answers_201_pending(realto: Realto):
    reply = await realto.post(COMMANDS, {"type": "StartCharging", "value": None})
    assert reply.status == 201
    body = reply.body
    assert (body["status"], body["type"], body["entityId"], body["triggerTime"]) == (
        "Pending",
        "StartCharging",
        ENTITY_ID,
        T0,
    )
    assert body["error"] is None
    fetched = await realto.get(f"{COMMANDS}/{body['id']}")
    assert fetched.body == body


@pytest.mark.parametrize(
    ("entity", "kwargs", "status", "key"),
    [
        (ENTITY_ID, {"json": {"value": None}}, 400, "type"),
        (ENTITY_ID, {"json": {"type": "Honk"}}, 400, "type"),
        (ENTITY_ID, {"json": {"type": "StartCharging", "value": 5}}, 400, "value"),
        (ENTITY_ID, {"json": ["StartCharging"]}, 400, "$"),
        (ENTITY_ID, {"data": "{oops"}, 400, "$"),
        (ENTITY_ID, {"json": {"type": "StartCharging"}, "ignoreCooldown": "yes"}, 400, "ignoreCooldown"),
        (ENTITY_ID, {"json": {"type": "Reset"}}, 400, None),
        (PV_ID, {"json": {"type": "StartCharging"}}, 400, None),
        (VIEWER_ID, {"json": {"type": "StartCharging"}}, 403, None),
    ],
)
async def test_trigger_refusals(
    realto: Realto, sim: SimulatorHandle, entity: str, kwargs: dict[str, Any], status: int, key: str | None
):
    reply = await realto.request("POST", f"/entities/{entity}/commands", **kwargs)
    assert reply.status == status
    if key is not None:
        assert key in reply.body["errors"]
    elif status == 400:
        assert reply.body["title"] == "CommandNotSupported"
    assert sim.world.realto.commands == {}


async def test_schedule_answers_a_batch(realto: Realto, sim: SimulatorHandle):
    reply = await realto.post(
        f"{COMMANDS}/schedule",
        [
            {"triggerTime": "2026-01-01T10:00:00Z", "type": "StartCharging", "value": None},
            {"triggerTime": "2026-01-01T14:00:00+02:00", "type": "StopCharging"},
        ],
    )
    assert reply.status == 201
    assert reply.body["batchId"]
    assert [(c["triggerTime"], c["type"], c["status"]) for c in reply.body["commands"]] == [
        ("2026-01-01T10:00:00Z", "StartCharging", "Pending"),
        ("2026-01-01T12:00:00Z", "StopCharging", "Pending"),
    ]
    assert {c.batch_id for c in sim.world.realto.commands.values()} == {reply.body["batchId"]}


async def test_schedule_in_the_legacy_shape(realto: Realto, sim: SimulatorHandle):
    sim.world.realto.set_schedule_response("legacy")
    reply = await realto.post(
        f"{COMMANDS}/schedule", [{"triggerTime": "2026-01-01T10:00:00Z", "type": "StartCharging"}]
    )
    assert reply.status == 201
    assert set(reply.body) == {"data", "links", "meta"}
    assert reply.body["meta"] == {"continuationToken": None, "pageSize": 1}
    assert reply.body["data"][0]["status"] == "Pending"


async def test_a_past_trigger_time_fires_now(realto: Realto, sim: SimulatorHandle):
    reply = await realto.post(
        f"{COMMANDS}/schedule", [{"triggerTime": "2025-06-01T00:00:00Z", "type": "StartCharging"}]
    )
    assert reply.body["commands"][0]["triggerTime"] == T0
    sim.advance(15)
    command_id = reply.body["commands"][0]["id"]
    assert (await realto.get(f"{COMMANDS}/{command_id}")).body["status"] == "Succeeded"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ([], "$"),
        ({"triggerTime": T0, "type": "StartCharging"}, "$"),
        (["StartCharging"], "[0]"),
        ([{"type": "StartCharging"}], "[0].triggerTime"),
        ([{"triggerTime": "10 am", "type": "StartCharging"}], "[0].triggerTime"),
        ([{"triggerTime": T0, "type": "StartCharging"}, {"triggerTime": T0}], "[1].type"),
        ([{"triggerTime": T0, "type": "StartCharging", "value": 1}], "[0].value"),
    ],
)
async def test_schedule_refusals(realto: Realto, sim: SimulatorHandle, body: Any, key: str):
    reply = await realto.post(f"{COMMANDS}/schedule", body)
    assert reply.status == 400
    assert key in reply.body["errors"]
    assert sim.world.realto.commands == {}


async def test_schedule_checks_the_query_and_the_entity(realto: Realto):
    item = [{"triggerTime": T0, "type": "StartCharging"}]
    assert (await realto.post(f"{COMMANDS}/schedule", item, ignoreCooldown="maybe")).status == 400
    assert (await realto.post(f"/entities/{PV_ID}/commands/schedule", item)).status == 400
    assert (await realto.post(f"/entities/{VIEWER_ID}/commands/schedule", item)).status == 403
    assert (await realto.request("POST", f"{COMMANDS}/schedule", data="[1,")).status == 400


async def test_command_list_window_order_and_paging(realto: Realto):
    await realto.post(
        f"{COMMANDS}/schedule",
        [
            {"triggerTime": "2026-01-01T12:00:00Z", "type": "StopCharging"},
            {"triggerTime": "2026-01-01T10:00:00Z", "type": "StartCharging"},
        ],
    )
    await realto.post(COMMANDS, {"type": "StartCharging"})
    everything = await realto.get(COMMANDS, start=T0)
    assert [c["triggerTime"] for c in everything.body["data"]] == [
        T0,
        "2026-01-01T10:00:00Z",
        "2026-01-01T12:00:00Z",
    ]
    window = await realto.get(COMMANDS, start="2026-01-01T09:00:00Z", end="2026-01-01T11:00:00Z")
    assert [c["type"] for c in window.body["data"]] == ["StartCharging"]
    paged = await realto.get(COMMANDS, start=T0, pageSize="2")
    assert len(paged.body["data"]) == 2
    assert paged.body["meta"]["continuationToken"]
    assert (await realto.get(COMMANDS)).status == 400


async def test_cancel(realto: Realto, sim: SimulatorHandle):
    created = await realto.post(COMMANDS, {"type": "StartCharging"})
    command_id = created.body["id"]
    canceled = await realto.request("PATCH", f"{COMMANDS}/{command_id}/cancel")
    assert (canceled.status, canceled.body["status"]) == (200, "Canceled")
    again = await realto.request("PATCH", f"{COMMANDS}/{command_id}/cancel")
    assert again.status == 409
    assert again.body["errors"][0]["code"] == "CommandNotCancelable"
    assert "Canceled" in again.body["detail"]
    sim.advance(60)
    assert sim.world.realto.commands[command_id].status == "Canceled"


async def test_commands_of_another_entity_are_not_found(realto: Realto):
    created = await realto.post(COMMANDS, {"type": "StartCharging"})
    other = f"/entities/{ENTITY_ID2}/commands/{created.body['id']}"
    assert (await realto.get(other)).status == 404
    assert (await realto.request("PATCH", f"{other}/cancel")).status == 404
    assert (await realto.get(f"{COMMANDS}/unknown")).status == 404
    assert (await realto.request("PATCH", f"/entities/{VIEWER_ID}/commands/x/cancel")).status == 403


async def test_requests_are_logged_as_realto(realto: Realto, sim: SimulatorHandle):
    await realto.post(COMMANDS, {"type": "StartCharging"})
    await realto.get(f"/entities/{ENTITY_ID}/readings/last")
    log = await sim.requests("realto")
    assert [(r["category"], r["vin"], r["billed"]) for r in log] == [
        ("command", REALTO_VIN, False),
        ("data", REALTO_VIN, False),
    ]
    assert await sim.requests("tesla") == []


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("/api/v1/authentication", "auth"),
        ("/api/v1/entities", "free"),
        ("/api/v1/entities/x/readings/last", "data"),
        ("/api/v1/entities/x/commands/schedule", "command"),
    ],
)
def test_category_of(path: str, category: str):
    assert category_of(path) == category
