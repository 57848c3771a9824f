"""Raw HTTP against the re.alto simulator, for its own tests (no client in between)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from ..helpers import REALTO_TOKEN, SimulatorHandle


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Realto:
    """Requests to ``/api/v1`` with the scenario's fixed bearer token."""

    session: aiohttp.ClientSession
    sim: SimulatorHandle
    token: str | None = REALTO_TOKEN

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        token: str | None = "",
        **params: Any,
    ) -> Reply:
        bearer = self.token if token == "" else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        kwargs: dict[str, Any] = {"headers": headers, "params": params or None}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        async with self.session.request(method, f"{self.sim.url}/api/v1{path}", **kwargs) as response:
            text = await response.text()
            try:
                body: Any = await response.json(content_type=None)
            except ValueError:
                body = text
            return Reply(response.status, body, dict(response.headers))

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Reply:
        return await self.request("POST", path, json=json, **kwargs)

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if body is None and method == "POST":
            body = {}  # admin POSTs are JSON, an empty one too
        async with self.sim.admin.request(method, f"{self.sim.url}/sim/realto{path}", json=body) as response:
            return response.status, await response.json(content_type=None)
