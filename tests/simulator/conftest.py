"""A small Fleet API client for the simulator's HTTP tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
import ssl
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from simulator import World, create_app

from ..helpers import ACCESS_TOKEN, SimulatorHandle
from ..tls import write_certificate


@dataclass
class Reply:
    """What came back: status, parsed body (JSON when it parses) and headers."""

    status: int
    body: Any
    text: str
    headers: dict[str, str]


@dataclass
class Fleet:
    """Raw requests against a simulator, with Tesla's headers filled in."""

    session: aiohttp.ClientSession
    base: str
    token: str | None = ACCESS_TOKEN
    ssl: Any = None

    def headers(
        self, token: str | None = None, content_type: str | None = "application/json"
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        bearer = token if token is not None else self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
        allow_redirects: bool = True,
    ) -> Reply:
        all_headers = self.headers(token) if headers is None else headers
        kwargs: dict[str, Any] = {"headers": all_headers, "allow_redirects": allow_redirects}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        if self.ssl is not None:
            kwargs["ssl"] = self.ssl
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with self.session.request(
            method, f"{self.base}{path}", timeout=client_timeout, **kwargs
        ) as response:
            text = await response.text()
            try:
                body: Any = await response.json(content_type=None)
            except ValueError:
                body = None
            return Reply(response.status, body, text, dict(response.headers))

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Reply:
        if json is None and "data" not in kwargs:
            json = {}  # Tesla's convention for parameterless commands
        return await self.request("POST", path, json=json, **kwargs)

    async def command(
        self, vin: str, name: str, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> Reply:
        return await self.post(f"/api/1/vehicles/{vin}/command/{name}", params or {}, **kwargs)

    async def state(self, vin: str) -> str:
        reply = await self.get(f"/api/1/vehicles/{vin}")
        assert reply.status == 200, reply.text
        return str(reply.body["response"]["state"])


@pytest.fixture
async def fleet(sim: SimulatorHandle, session: aiohttp.ClientSession) -> Fleet:
    return Fleet(session, sim.url)


@pytest.fixture
async def proxy(
    socket_enabled: None, world: World, tmp_path: Path, session: aiohttp.ClientSession
) -> AsyncIterator[Fleet]:
    """The simulator as a local tesla-http-proxy over TLS, on the same world."""
    cert, key = write_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    server = TestServer(create_app(world, "proxy"), host="127.0.0.1")
    await server.start_server(ssl=server_context)
    client_context = ssl.create_default_context(cafile=str(cert))
    yield Fleet(session, str(server.make_url("")).rstrip("/"), ssl=client_context)
    await server.close()
