"""Helpers for tests: scenario builders and a handle on a running simulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from simulator import World

ACCOUNT_ID = "6f6a7d30-0000-4000-8000-000000000001"
ACCESS_TOKEN = "test-access-token"
REFRESH_TOKEN = "test-refresh-token"
VIN = "LRW3E7EK4NC000001"
VIN2 = "5YJSA1E41GF000002"


def vehicle_spec(**overrides: Any) -> dict[str, Any]:
    """A Model 3 from the Home Assistant fixture, awake, plugged in, not charging."""
    spec: dict[str, Any] = {
        "fixture": "ha_tesla_fleet_vehicle_data.json",
        "vin": VIN,
        "id": 100001,
        "display_name": "Model 3",
        "plugged_in": True,
        "charging": False,
        "settings": {"wake_delay": 0, "sleep_after": 900},
    }
    spec.update(overrides)
    return spec


def account_spec(*vehicles: dict[str, Any], region: str = "na", **account: Any) -> dict[str, Any]:
    """A scenario with one Tesla account holding ``vehicles`` (default: one Model 3)."""
    return {
        "tesla": {
            "accounts": [
                {
                    "id": ACCOUNT_ID,
                    "email": "owner@example.com",
                    "full_name": "Test Owner",
                    "region": region,
                    "tokens": [{"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN}],
                    "vehicles": list(vehicles) or [vehicle_spec()],
                    **account,
                }
            ]
        }
    }


@dataclass
class SimulatorHandle:
    """A running simulator: its URL, its world, and the admin API."""

    server: TestServer
    world: World
    admin: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.admin.request(method, f"{self.url}{path}", json=body) as response:
            assert response.status < 500, await response.text()
            return await response.json()

    async def requests(self, api: str = "tesla", since: int = 0) -> list[dict[str, Any]]:
        data = await self.call("GET", f"/sim/requests?api={api}&since={since}")
        return list(data["requests"])

    async def fault(self, **spec: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", "/sim/faults", spec)
        return result

    async def vehicle(self, vin: str = VIN, **change: Any) -> dict[str, Any]:
        if change:
            result: dict[str, Any] = await self.call("POST", f"/sim/vehicles/{vin}", change)
        else:
            result = await self.call("GET", f"/sim/vehicles/{vin}")
        return result

    def advance(self, seconds: float) -> None:
        self.world.clock.advance(seconds)
        self.world.sync()
