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


REALTO_CLIENT_ID = "test-realto-client"
REALTO_SECRET = "test-realto-secret"
REALTO_TOKEN = "test-realto-token"
ENTITY_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
ENTITY_ID2 = "7d1e4f2a-5b6c-4d7e-8f90-a1b2c3d4e5f6"
REALTO_VIN = "WVGZZZE2ZMP000001"


def realto_entity_spec(**overrides: Any) -> dict[str, Any]:
    """A re.alto EV: an ID.4 at 50 %, plugged in, not charging, read every 5 minutes."""
    spec: dict[str, Any] = {
        "id": ENTITY_ID,
        "name": "ID.4",
        "manufacturer": "Volkswagen",
        "model": "ID.4 Pro",
        "vin": REALTO_VIN,
        "battery_level": 50,
        "charge_limit": 100,
        "capacity_kwh": 77,
        "km_per_pct": 4.0,
        "odometer_km": 12000,
        "plugged_in": True,
        "charging": False,
        "reading_interval": 300,
    }
    spec.update(overrides)
    return spec


def realto_spec(*entities: dict[str, Any], tesla: bool = False, **platform: Any) -> dict[str, Any]:
    """A scenario with a re.alto platform (one client, ``entities`` or one ID.4).

    ``REALTO_TOKEN`` is a fixed access token for that client; ``tesla`` adds the
    default Tesla account; ``platform`` sets other ``realto:`` keys.
    """
    spec: dict[str, Any] = account_spec() if tesla else {}
    spec["realto"] = {
        "clients": [
            {"id": REALTO_CLIENT_ID, "secret": REALTO_SECRET, "tokens": [{"access_token": REALTO_TOKEN}]}
        ],
        "entities": list(entities) or [realto_entity_spec()],
        **platform,
    }
    return spec


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
        # Admin POSTs must be JSON (the simulator refuses others): an empty one is {}.
        if body is None and method == "POST":
            body = {}
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


def world_secrets(world: World | None) -> set[str]:
    """Every credential a test may have used: fixed ones and all the world issued."""
    secrets = {ACCESS_TOKEN, REFRESH_TOKEN, REALTO_SECRET, REALTO_TOKEN}
    if world is not None:
        secrets |= set(world.tokens.access) | set(world.tokens.refresh)
        if world.realto is not None:
            secrets |= set(world.realto.tokens) | set(world.realto.clients.values())
    return secrets


def leaked_secrets(text: str, secrets: set[str]) -> set[str]:
    """The secrets that appear in ``text`` (too-short values could match by chance)."""
    return {secret for secret in secrets if len(secret) >= 8 and secret in text}
