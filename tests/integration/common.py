"""Small helpers the integration tests share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import socket
import time
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from yarl import URL

from custom_components.ev_charge_control.const import (
    CONF_API_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_REALTO,
    PROVIDER_TESLA,
)

from ..helpers import ACCOUNT_ID, ENTITY_ID, REALTO_CLIENT_ID, REALTO_SECRET, VIN, SimulatorHandle

AUTH_DOMAIN = "cred"
"""The application credentials' id that OAuth entries in tests name."""
CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"
# current_request_with_host sets the frontend base that Home Assistant redirects to.
REDIRECT_URI = "https://example.com/auth/external/callback"

ClientFactory = Callable[[], Awaitable[TestClient]]


def device_for(hass: HomeAssistant, identifier: tuple[str, str]) -> dr.DeviceEntry | None:
    """The device registered with ``identifier`` by one of the identifier's domain's entries.

    Not ``DeviceRegistry.async_get_device(identifiers=...)``: Home Assistant 2026.8+
    raises for it outside an integration, and 2025.4 lacks its replacements.
    """
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(identifier[0]):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if identifier in device.identifiers:
                return device
    return None


def entity_state(hass: HomeAssistant, entity_id: str) -> str:
    """An entity's state, failing clearly when the entity does not exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def sent_commands(requests: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The Tesla commands in a simulator request log: (name, JSON body)."""
    return [(r["path"].rsplit("/", 1)[-1], r["body"]) for r in requests if "/command/" in r["path"]]


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move Home Assistant's clock and let every poll that became due finish."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    # Polls run as background tasks; let them finish before time moves again.
    await hass.async_block_till_done(wait_background_tasks=True)


async def add_oauth_entry(hass: HomeAssistant, sim: SimulatorHandle) -> MockConfigEntry:
    """A Tesla entry as signing in leaves it: fresh tokens from the simulator, no proxy."""
    issued = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {})
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="owner@example.com",
        unique_id=ACCOUNT_ID,
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            "auth_implementation": AUTH_DOMAIN,
            "token": {**issued, "expires_at": time.time() + issued["expires_in"]},
            CONF_API_URL: sim.url,
            CONF_VEHICLES: [VIN],
            CONF_KNOWN_VEHICLES: [VIN],
        },
    )
    entry.add_to_hass(hass)
    return entry


# ------------------------------------------------------------- config flows
def closed_port_url() -> str:
    """An address on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def start(hass: HomeAssistant, menu_choice: str) -> ConfigFlowResult:
    """Open the "add integration" dialog and pick a way to connect."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": menu_choice})


async def configure(
    hass: HomeAssistant, result: ConfigFlowResult, user_input: dict[str, Any]
) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


async def last_seq(sim: SimulatorHandle) -> int:
    return int((await sim.call("GET", "/sim/requests"))["last_seq"])


async def browser_sign_in(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    result: ConfigFlowResult,
    **authorize: str,
) -> ConfigFlowResult:
    """What the browser does: Tesla's authorize page, then Home Assistant's callback.

    ``authorize`` changes the authorize URL as a user would at Tesla: another account
    (``login_hint``) or unticked permissions (``scope``).  The flow then goes on.
    """
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    url = URL(result["url"]).update_query(authorize)
    async with sim.admin.get(str(url), allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        back = URL(response.headers["Location"])
    assert str(back.with_query(None)) == REDIRECT_URI
    client = await hass_client_no_auth()
    callback = await client.get(
        "/auth/external/callback", params={"code": back.query["code"], "state": back.query["state"]}
    )
    assert callback.status == 200
    assert "window.close()" in await callback.text()
    return await hass.config_entries.flow.async_configure(result["flow_id"])


def schema_fields(result: ConfigFlowResult) -> dict[str, dict[str, Any]]:
    """Each field of a form: its default and suggested value (absent when none)."""
    fields: dict[str, dict[str, Any]] = {}
    for key in result["data_schema"].schema:
        field: dict[str, Any] = {}
        if callable(key.default):
            field["default"] = key.default()
        if key.description and "suggested_value" in key.description:
            field["suggested"] = key.description["suggested_value"]
        fields[str(key)] = field
    return fields


# ------------------------------------------------------------------ re.alto
def realto_entry_data(sim: SimulatorHandle) -> dict[str, Any]:
    """A re.alto entry on the simulated platform, with its one EV."""
    return {
        CONF_PROVIDER: PROVIDER_REALTO,
        CONF_API_URL: f"{sim.url}/api",
        CONF_CLIENT_ID: REALTO_CLIENT_ID,
        CONF_CLIENT_SECRET: REALTO_SECRET,
        CONF_VEHICLES: [ENTITY_ID],
    }


async def realto_commands(sim: SimulatorHandle) -> list[dict[str, Any]]:
    """Every command the simulated platform holds, oldest first."""
    result: list[dict[str, Any]] = await sim.call("GET", "/sim/realto/commands")
    return result


async def move_both_clocks(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move both clocks: the simulated platform's and Home Assistant's."""
    sim.advance(delta.total_seconds())
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
