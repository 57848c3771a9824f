"""The tesla-http-proxy mode and the new routes: schedule commands it signs itself, and
signed_command, fleet_status and the partner endpoints it forwards unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import World

from ..helpers import VIN, VIN2, account_spec, vehicle_spec
from .conftest import Fleet

SCHEDULE = {
    "days_of_week": "All",
    "enabled": True,
    "start_enabled": True,
    "end_enabled": False,
    "lat": 1,
    "lon": 2,
}


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(command_signing="required", firmware="2025.20.6 4c5ad9d1b3a0"),
        vehicle_spec(vin=VIN2, id=100002, command_signing="required"),  # the fixture's 2023 firmware
    )


async def test_the_proxy_signs_schedule_commands(proxy: Fleet, world: World) -> None:
    reply = await proxy.command(VIN, "add_charge_schedule", SCHEDULE)
    assert reply.body == {"response": {"result": True, "reason": ""}}
    assert len(world.vehicles[VIN].charge_schedules) == 1
    reply = await proxy.command(VIN2, "add_charge_schedule", SCHEDULE)
    assert reply.body == {
        "response": {"result": False, "reason": "car could not execute command: not_supported"},
        "error": "",
        "error_description": "",
    }


async def test_the_proxy_forwards_the_new_routes(proxy: Fleet) -> None:
    reply = await proxy.post(f"/api/1/vehicles/{VIN}/signed_command", {}, headers={})
    assert reply.status == 403  # the proxy's own "no token" answer
    reply = await proxy.post(f"/api/1/vehicles/{VIN}/signed_command", {})
    assert reply.status == 400  # forwarded to the Fleet API, which finds no message
    reply = await proxy.post("/api/1/vehicles/fleet_status", {"vins": [VIN]})
    assert reply.body["response"]["unpaired_vins"] == [VIN]
    reply = await proxy.post("/api/1/partner_accounts", {"domain": "example.com"})
    assert reply.status == 403  # a user token on a partner route
    assert (await proxy.get("/_ak/example.com", headers={})).status == 404  # tesla.com, not the proxy
