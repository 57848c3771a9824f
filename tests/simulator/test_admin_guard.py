"""What keeps the simulator's secrets in: a log without credentials, an admin API that
answers JSON POSTs on this machine's names only, and the redirect fault."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

import pytest

from ..helpers import REFRESH_TOKEN, SimulatorHandle
from .conftest import Fleet

JSON = {"Content-Type": "application/json"}


# ------------------------------------------------------------------ the log
async def test_a_token_form_is_logged_with_markers_for_its_secrets(
    sim: SimulatorHandle, fleet: Fleet
) -> None:
    form = {
        "grant_type": "refresh_token",
        "client_id": "app",
        "client_secret": "app-secret-value",
        "refresh_token": REFRESH_TOKEN,
    }
    reply = await fleet.post("/oauth2/v3/token", data=form, headers={})
    assert reply.status == 200
    [record] = await sim.requests()
    logged = {key: values[0] for key, values in parse_qs(record["body"], strict_parsing=True).items()}
    marker = sim.world.recorder.redacted
    assert logged == {
        "grant_type": "refresh_token",
        "client_id": "app",
        "client_secret": marker("app-secret-value"),
        "refresh_token": marker(REFRESH_TOKEN),
    }
    assert marker(REFRESH_TOKEN) != marker("app-secret-value")
    assert marker(REFRESH_TOKEN).startswith("<redacted ")


async def test_json_bodies_queries_and_odd_text_are_redacted_too(sim: SimulatorHandle, fleet: Fleet) -> None:
    body: dict[str, Any] = {
        "grant_type": "authorization_code",
        "code": "NA_secret-code",
        "password": 1234,
        "nested": [{"access_token": "nested-token"}, "plain"],
        "access_token": None,
    }
    await fleet.post("/oauth2/v3/token?code=query-code&state=s", body, headers={})
    await fleet.post(
        "/oauth2/v3/token", data='{"clientSecret": "cut-sec\\"ret', headers={"Content-Type": "text/plain"}
    )
    await fleet.post("/oauth2/v3/token", data="just text, code=", headers={"Content-Type": "text/plain"})
    first, second, third = await sim.requests()
    marker = sim.world.recorder.redacted
    assert first["body"] == {
        "grant_type": "authorization_code",
        "code": marker("NA_secret-code"),
        "password": marker("1234"),
        "nested": [{"access_token": marker("nested-token")}, "plain"],
        "access_token": None,
    }
    assert first["query"] == {"code": marker("query-code"), "state": "s"}
    assert second["body"] == '{"clientSecret": "' + marker('cut-sec\\"ret')
    assert third["body"] == "just text, code="


async def test_the_log_over_http_holds_no_secret(sim: SimulatorHandle, fleet: Fleet) -> None:
    await fleet.post(
        "/oauth2/v3/token", {"refresh_token": REFRESH_TOKEN, "client_secret": "s3cret-app"}, headers={}
    )
    async with sim.admin.get(f"{sim.url}/sim/requests") as response:
        text = await response.text()
    assert REFRESH_TOKEN not in text
    assert "s3cret-app" not in text


# ---------------------------------------------------------------- admin POSTs
@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ('{"kind": "hang"}', {"Content-Type": "text/plain", "Origin": "http://evil.example"}),
        ("kind=hang", {"Content-Type": "application/x-www-form-urlencoded"}),
        (None, {}),
    ],
)
async def test_an_admin_post_that_is_not_json_is_refused_and_changes_nothing(
    sim: SimulatorHandle, data: str | None, headers: dict[str, str]
) -> None:
    async with sim.admin.post(f"{sim.url}/sim/faults", data=data, headers=headers) as response:
        assert response.status == 415
        assert await response.json() == {"error": "admin POSTs take Content-Type: application/json"}
    assert sim.world.faults.faults == []


async def test_an_empty_json_admin_post_is_fine(sim: SimulatorHandle) -> None:
    async with sim.admin.post(f"{sim.url}/sim/tokens/expire", headers=JSON) as response:
        assert response.status == 200


# ------------------------------------------------------------------ Host
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8765", "[::1]:80", "LOCALHOST"])
async def test_this_machines_names_reach_the_admin_api(sim: SimulatorHandle, host: str) -> None:
    async with sim.admin.get(f"{sim.url}/sim/faults", headers={"Host": host}) as response:
        assert response.status == 200


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io:8765", "[::1", "localhost:99999"])
async def test_another_host_is_refused_on_admin_routes(sim: SimulatorHandle, host: str) -> None:
    async with sim.admin.get(f"{sim.url}/sim/requests", headers={"Host": host}) as response:
        assert response.status == 403
    async with sim.admin.post(
        f"{sim.url}/sim/faults", json={"kind": "hang"}, headers={"Host": host}
    ) as response:
        assert response.status == 403
    assert sim.world.faults.faults == []
    # The vehicle API itself still answers (a bearer token guards it).
    async with sim.admin.get(f"{sim.url}/status", headers={"Host": host}) as response:
        assert response.status == 200


async def test_a_request_without_a_host_is_refused(sim: SimulatorHandle) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.server.port)
    writer.write(b"GET /sim/requests HTTP/1.0\r\n\r\n")
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    assert status_line.split()[1] == b"403"


# ---------------------------------------------------------------- redirect
async def test_the_redirect_fault_points_at_the_same_path_elsewhere(
    sim: SimulatorHandle, fleet: Fleet
) -> None:
    await sim.fault(kind="redirect", base_url="http://127.0.0.1:9/", count=1)
    reply = await fleet.get("/api/1/vehicles?page=2", allow_redirects=False)
    assert reply.status == 307
    assert reply.headers["Location"] == "http://127.0.0.1:9/api/1/vehicles?page=2"
    await sim.fault(kind="redirect", status=301, count=1)
    reply = await fleet.get("/api/1/vehicles", allow_redirects=False)
    assert (reply.status, reply.headers["Location"]) == (301, "https://elsewhere.invalid/api/1/vehicles")
    [first, second] = await sim.requests()
    assert (first["status"], second["status"]) == (307, 301)


async def test_a_redirect_fault_takes_redirect_statuses_only(sim: SimulatorHandle) -> None:
    async with sim.admin.post(f"{sim.url}/sim/faults", json={"kind": "redirect", "status": 200}) as response:
        assert response.status == 400
        assert "redirect's status is one of 301, 302, 303, 307, 308" in (await response.json())["error"]
    assert sim.world.faults.faults == []
