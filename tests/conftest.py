"""Fixtures shared by every test: the simulator on loopback and clients talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import datetime as dt
import logging
import time
from typing import Any

import aiohttp
from aiohttp import web_log
from aiohttp.test_utils import TestServer
import pytest

# Home Assistant finds custom integrations through the imported package.
import custom_components  # noqa: F401
from simulator import FakeClock, World, build_world, create_app

from .helpers import SimulatorHandle, account_spec, leaked_secrets, world_secrets

# aiohttp 3.14+ (Home Assistant 2026.x) re-reads the local UTC offset for its access log
# every 30 minutes of clock time, from time.localtime().tm_gmtoff; under freezegun that
# is None, and the access logger logs "Error in logging" with a TypeError whenever a
# frozen clock crosses a half hour (which the fault matrix's traceback check reports).
# Fix the offset once, read from the real clock at import; older aiohttp has no such
# method and needs nothing.
if hasattr(web_log.AccessLogger, "_get_local_time"):
    _LOCAL_TZ = dt.timezone(dt.timedelta(seconds=time.localtime().tm_gmtoff))
    web_log.AccessLogger._get_local_time = classmethod(  # type: ignore[method-assign,assignment,unused-ignore]
        lambda cls: dt.datetime.now(_LOCAL_TZ)
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scenario() -> dict[str, Any]:
    """The world the simulator starts with; override in a module to change it."""
    return account_spec()


@pytest.fixture
def world(scenario: dict[str, Any], clock: FakeClock) -> World:
    return build_world(scenario, clock)


@pytest.fixture
async def sim(socket_enabled: None, world: World) -> AsyncIterator[SimulatorHandle]:
    """The simulator serving ``world`` over HTTP on 127.0.0.1."""
    server = TestServer(create_app(world), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as admin:
        yield SimulatorHandle(server, world, admin)
    await server.close()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture(autouse=True)
def no_secrets_in_logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with debug logging, and no token or secret may appear in it.

    The secrets are every credential the test's simulated world knows: access and
    refresh tokens it issued, client secrets, and the fixed test tokens.
    """
    caplog.set_level(logging.DEBUG)
    world = request.getfixturevalue("world") if "world" in request.fixturenames else None
    yield
    # At teardown ``caplog.text`` holds only the teardown's records: read every phase.
    # The test harness's storage mock logs what it writes to disk (config entries and
    # the private token store hold tokens by design); that is not a log of ours.
    records = [
        record
        for record in (*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records)
        if record.name != "pytest_homeassistant_custom_component.common"
    ]
    text = "\n".join(caplog.handler.format(record) for record in records)
    leaked = leaked_secrets(text, world_secrets(world))
    assert not leaked, f"secrets in the log: {sorted(leaked)}"
