"""Fault matrix, redirects: the API answers 3xx to another origin, as the user meets it.

The tables below are the test: ``read_table`` builds one test per cell from each.
Every cell also checks that the other origin (a loopback server on another port, which
records every request reaching it) received nothing: no credential, no command, no
token refresh was sent again there.

Tesla (an access token entry):

| fault        | poll           | setup         | reauth     | command             |
|--------------|----------------|---------------|------------|---------------------|
| redirect_307 | !update_failed | !setup_failed | !api_moved | !command_failed 1/0 |
| redirect_301 | !update_failed | !setup_failed | !api_moved | !command_failed 1/0 |

re.alto:

| fault        | poll           | setup         | reauth     | charging            | schedule            | cancel              |
|--------------|----------------|---------------|------------|---------------------|---------------------|---------------------|
| redirect_307 | !update_failed | !setup_failed | !api_moved | !command_failed 1/0 | !command_failed 1/0 | !command_failed 0/0 |
| redirect_301 | !update_failed | !setup_failed | !api_moved | !command_failed 1/0 | !command_failed 1/0 | !command_failed 0/0 |

Rows (faults): every request to the provider's API is answered with a redirect to the
same path on another origin: ``redirect_307`` (Temporary Redirect, which asks a client
to send the same method and body again there: re.alto's client secret, a command) and
``redirect_301`` (Moved Permanently). The columns and cells read as in
``test_fault_matrix_tesla.py`` and ``test_fault_matrix_realto.py``; the translated
errors name the target (``the API moved to …; check the API URL and reconfigure``), and
once the redirects stop, everything works again without a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, override

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from ..helpers import SimulatorHandle, account_spec, realto_entity_spec, realto_spec, vehicle_spec
from .fault_matrix import Cell, Outage, read_table, tracebacks
from .test_fault_matrix_realto import COLUMNS as REALTO_COLUMNS, COMMANDS as REALTO_COMMANDS, Realto
from .test_fault_matrix_tesla import COLUMNS as TESLA_COLUMNS, COMMANDS as TESLA_COMMANDS, Tesla, _token_entry

REDIRECTS = {"redirect_307": 307, "redirect_301": 301}
_TESLA_DOC, _REALTO_DOC = (__doc__ or "").split("re.alto:\n", 1)
TESLA_CELLS = read_table(_TESLA_DOC, TESLA_COLUMNS, REDIRECTS, TESLA_COMMANDS)
REALTO_CELLS = read_table(_REALTO_DOC, REALTO_COLUMNS, REDIRECTS, REALTO_COMMANDS)


@pytest.fixture
async def elsewhere(socket_enabled: None) -> AsyncIterator[tuple[str, list[str]]]:
    """Another origin: its URL, and every request that reached it."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.path_qs} {await request.text()}")
        return web.json_response({"response": None})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), seen
    await server.close()


@pytest.fixture
def scenario(provider: str, cell: Cell) -> dict[str, Any]:
    if provider == "tesla":
        command = TESLA_COMMANDS.get(cell.op)
        return account_spec(vehicle_spec(**(command.car if command else {})))
    return realto_spec(realto_entity_spec(charging=cell.op == "charging_off"))


class _Redirected:
    """A matrix world whose fault is a redirect of every API request to ``target``."""

    sim: SimulatorHandle
    cell: Cell
    api: str
    target: str

    async def inject(self) -> None:
        status = REDIRECTS[self.cell.fault]
        await self.sim.fault(api=self.api, kind="redirect", status=status, base_url=self.target)

    async def clear(self) -> None:
        assert await self.sim.call("DELETE", "/sim/faults") == []


class RedirectedTesla(_Redirected, Tesla):
    @override
    async def inject(self) -> None:
        await _Redirected.inject(self)

    @override
    async def clear(self) -> None:
        await _Redirected.clear(self)


class RedirectedRealto(_Redirected, Realto):
    @override
    async def inject(self) -> None:
        await _Redirected.inject(self)

    @override
    async def clear(self) -> None:
        await _Redirected.clear(self)


@pytest.mark.parametrize("provider", ["tesla"])
@pytest.mark.parametrize("cell", TESLA_CELLS, ids=str)
async def test_tesla(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
    elsewhere: tuple[str, list[str]],
    provider: str,
    cell: Cell,
) -> None:
    world = RedirectedTesla(hass, sim, freezer, outage, cell, _token_entry(hass, sim))
    world.target, seen = elsewhere
    await world.run()
    assert seen == []
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize("provider", ["realto"])
@pytest.mark.parametrize("cell", REALTO_CELLS, ids=str)
async def test_realto(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
    elsewhere: tuple[str, list[str]],
    provider: str,
    cell: Cell,
) -> None:
    world = RedirectedRealto(hass, sim, freezer, outage, cell)
    world.target, seen = elsewhere
    await world.run()
    assert seen == []
    assert tracebacks(caplog.records) == []
