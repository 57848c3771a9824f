"""Helpers for the re.alto client tests: a client pointed at the simulator, the log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp

from custom_components.ev_charge_control.api.realto import RealtoClient

from ..helpers import REALTO_CLIENT_ID, REALTO_SECRET, SimulatorHandle

AUTH_PATH = "/api/v1/authentication"


def make_realto(
    sim: SimulatorHandle,
    session: aiohttp.ClientSession,
    *,
    client_id: str = REALTO_CLIENT_ID,
    client_secret: str = REALTO_SECRET,
    **options: Any,
) -> RealtoClient:
    options.setdefault("base_url", f"{sim.url}/api")
    options.setdefault("request_timeout", 10.0)
    return RealtoClient(session, client_id, client_secret, **options)


async def mark(sim: SimulatorHandle) -> int:
    """The sequence number of the last request the simulator logged."""
    data = await sim.call("GET", "/sim/requests?since=0&api=none")
    return int(data["last_seq"])


async def sent(sim: SimulatorHandle, since: int = 0) -> list[dict[str, Any]]:
    """re.alto requests the simulator logged after ``since``."""
    return await sim.requests("realto", since=since)


def calls(records: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """``(method, path, status)`` of each logged request."""
    return [(r["method"], r["path"], r["status"]) for r in records]


def sim_time(sim: SimulatorHandle, offset: float = 0.0) -> datetime:
    """The simulator's clock as an aware datetime, ``offset`` seconds ahead."""
    return datetime.fromtimestamp(sim.world.clock.now() + offset, UTC)
