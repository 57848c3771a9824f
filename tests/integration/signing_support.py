"""Helpers for the signed-command tests: the key file, pairing, and what the car received."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.api.tesla.signing import SigningKey
from custom_components.ev_charge_control.const import CONF_DOMAIN, CONF_SIGNING, SIGNING_KEY
from custom_components.ev_charge_control.signing import KEY_FILE, PUBLIC_KEY_PATH, async_get_or_create_key

from ..helpers import SimulatorHandle
from .common import (
    CLIENT_ID,
    CLIENT_SECRET,
    ClientFactory,
    add_oauth_entry,
    browser_sign_in,
    configure,
    start,
)

DOMAIN_NAME = "ha.example.com"
"""The application's domain in tests that do not go through registration."""


def key_file(config_dir: Path) -> Path:
    return config_dir / ".storage" / KEY_FILE


async def read_key(config_dir: Path) -> SigningKey:
    """The installation's key, read back from its file as Home Assistant would."""
    data = await asyncio.to_thread(key_file(config_dir).read_bytes)
    return SigningKey.from_pem(data)


def private_key_fragments(pem: bytes, key: SigningKey) -> list[str]:
    """Pieces of the private key that must never show up anywhere: each base64 line of
    its PEM file, and the private number in hex."""
    lines = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
    scalar = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(scalar, ec.EllipticCurvePrivateKey)
    number = f"{scalar.private_numbers().private_value:064x}"
    assert key.public_pem() not in pem
    return [*lines, number, number.upper()]


async def pair_on_the_phone(sim: SimulatorHandle, domain: str, vin: str) -> None:
    """What the owner does in the Tesla app at tesla.com/_ak/<domain>: add the key to a car."""
    async with sim.admin.post(f"{sim.url}/_ak/{domain}", data={"vin": vin}) as response:
        assert response.status == 200, await response.text()


async def signed_log(sim: SimulatorHandle, since: int) -> list[tuple[str, Any]]:
    """Each command request after ``since``: ("handshake", None), ("command", name), ("rest", name)."""
    out: list[tuple[str, Any]] = []
    for record in await sim.requests(since=since):
        if record["path"].endswith("/signed_command"):
            out.append((record.get("signed") or f"http {record['status']}", record.get("command")))
        elif "/command/" in record["path"]:
            out.append(("rest", record["path"].rsplit("/", 1)[-1]))
    return out


async def last_seq(sim: SimulatorHandle) -> int:
    return int((await sim.call("GET", "/sim/requests"))["last_seq"])


async def add_signing_entry(
    hass: HomeAssistant, sim: SimulatorHandle, *, paired: tuple[str, ...] = ()
) -> tuple[MockConfigEntry, SigningKey]:
    """A signed-in entry that signs commands here, with the installation's key made and
    paired with the cars in ``paired`` (as set-up and the Tesla app leave it)."""
    key = await async_get_or_create_key(hass)
    entry = await add_oauth_entry(hass, sim)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_SIGNING: SIGNING_KEY, CONF_DOMAIN: DOMAIN_NAME}
    )
    await register_domain(sim, DOMAIN_NAME, key)
    for vin in paired:
        await sim.call("POST", f"/sim/vehicles/{vin}/signing", {"pair_key": key.public_hex()})
    return entry, key


async def register_domain(sim: SimulatorHandle, domain: str, key: SigningKey) -> None:
    """The application's registration with Tesla, as set-up leaves it (key hosted at the domain)."""
    await sim.call("POST", "/sim/partner/hosted_keys", {"domain": domain, "pem": key.public_pem().decode()})
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    async with sim.admin.post(f"{sim.url}/oauth2/v3/token", data={**form, "audience": sim.url}) as response:
        token = (await response.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{sim.url}/api/1/partner_accounts"
    async with sim.admin.post(url, json={"domain": domain}, headers=headers) as response:
        assert response.status == 200, await response.text()


async def signing_form(hass: HomeAssistant, sim: SimulatorHandle, client: ClientFactory) -> ConfigFlowResult:
    """Signed in with Tesla, and chose to sign commands here: the domain form."""
    result = await start(hass, "tesla_oauth")
    result = await browser_sign_in(hass, sim, client, result)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "commands"
    result = await configure(hass, result, {"next_step_id": "signing_domain"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "signing_domain"
    return result


@asynccontextmanager
async def key_host(pem: bytes) -> AsyncIterator[str]:
    """A web server on loopback serving ``pem`` at Tesla's well-known path: its domain."""

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(body=pem)

    app = web.Application()
    app.router.add_get(PUBLIC_KEY_PATH, serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        await server.close()
