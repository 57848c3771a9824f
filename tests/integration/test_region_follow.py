"""A wrong-region answer moves an entry only where its token may go already.

Tesla's 421 "use base URL" (or its Alt-Svc header) is followed between Tesla's own
regional hosts, or to a path on the server the entry already uses (the simulator's
``/eu``). Naming any other origin, it is not followed: nothing is sent there, the
entry's API URL stays, and the user reads a translated error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import CONF_ACCESS_TOKEN, CONF_API_URL

from ..helpers import ACCESS_TOKEN, SimulatorHandle, account_spec
from .fault_matrix import assert_form_error, assert_translated, setup_error


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(region="eu")


@pytest.fixture
async def elsewhere(socket_enabled: None) -> AsyncIterator[tuple[str, list[str]]]:
    """Another origin (a loopback server on another port) and what reached it."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.path} {request.headers.get('Authorization')}")
        return web.json_response({"response": [], "count": 0})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), seen
    await server.close()


async def test_a_421_naming_another_origin_fails_set_up_and_sends_nothing_there(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    elsewhere: tuple[str, list[str]],
) -> None:
    other, seen = elsewhere
    await sim.fault(kind="wrong_region", base_url=other, path="/vehicles$")
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert_translated(setup_error(config_entry), "setup_failed")
    assert config_entry.error_reason_translation_placeholders is not None
    assert "which is not followed" in config_entry.error_reason_translation_placeholders["error"]
    assert config_entry.data[CONF_API_URL] == sim.url
    assert seen == []


async def test_the_reauth_form_says_a_421_to_another_origin_is_not_followed(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    elsewhere: tuple[str, list[str]],
) -> None:
    other, seen = elsewhere
    await sim.fault(kind="status", status=421, headers={"Alt-Svc": f"h2={other}"}, path="/vehicles$")
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: ACCESS_TOKEN}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "region_not_followed"}
    assert_form_error("region_not_followed")
    assert config_entry.data[CONF_API_URL] == sim.url
    assert seen == []


async def test_a_421_to_a_path_on_the_same_server_is_followed_and_kept(
    hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
) -> None:
    assert setup_integration.state is ConfigEntryState.LOADED
    assert setup_integration.data[CONF_API_URL] == f"{sim.url}/eu"
