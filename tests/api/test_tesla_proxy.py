"""A local tesla-http-proxy over TLS with its own certificate authority.

The simulator runs in ``proxy`` mode behind a self-signed certificate made here; the
client trusts it only through ``create_ssl_context(ca_file)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
import ssl
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.ev_charge_control.api import (
    CommandRefused,
    ConnectionFailed,
    Forbidden,
    NotFound,
    VehicleUnavailable,
)
from custom_components.ev_charge_control.api.tesla import CommandResult, TeslaClient, create_ssl_context
from simulator import World, create_app

from ..helpers import VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from ..tls import write_certificate
from .support import FAST_POLLS, mark, raises_exactly, sent_since, static_token


@pytest.fixture
def scenario() -> dict[str, Any]:
    # VIN2 needs signed commands: the proxy signs them, so they work.
    return account_spec(
        vehicle_spec(),
        vehicle_spec(vin=VIN2, id=100002, plugged_in=False, command_signing="required"),
    )


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return write_certificate(tmp_path)


@pytest.fixture
async def proxy(
    socket_enabled: None, world: World, certificate: tuple[Path, Path]
) -> AsyncIterator[SimulatorHandle]:
    """The simulator as a tesla-http-proxy, over TLS on 127.0.0.1."""
    cert_file, key_file = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    server = TestServer(create_app(world, "proxy"), host="127.0.0.1")
    await server.start_server(ssl=server_context)
    admin_connector = aiohttp.TCPConnector(ssl=create_ssl_context(str(cert_file)))
    async with aiohttp.ClientSession(connector=admin_connector) as admin:
        yield SimulatorHandle(server, world, admin)
    await server.close()


@pytest.fixture
def proxy_client(
    proxy: SimulatorHandle, session: aiohttp.ClientSession, certificate: tuple[Path, Path]
) -> TeslaClient:
    return TeslaClient(
        session,
        static_token(),
        base_url=proxy.url,
        ssl_context=create_ssl_context(str(certificate[0])),
        wake_poll_delays=FAST_POLLS,
    )


async def test_the_proxy_is_served_over_https(proxy: SimulatorHandle) -> None:
    assert proxy.url.startswith("https://127.0.0.1:")


async def test_commands_through_the_proxy(proxy: SimulatorHandle, proxy_client: TeslaClient) -> None:
    seq = await mark(proxy)
    assert await proxy_client.set_charge_limit(VIN, 90) == CommandResult("set_charge_limit", "")
    records = await sent_since(proxy, seq)
    assert [(r["path"], r["body"], r["status"]) for r in records] == [
        (f"/api/1/vehicles/{VIN}/command/set_charge_limit", {"percent": 90}, 200)
    ]
    assert (await proxy.vehicle(VIN))["charge_state"]["charge_limit_soc"] == 90


async def test_the_proxy_signs_commands_for_cars_that_need_it(
    proxy: SimulatorHandle, proxy_client: TeslaClient
) -> None:
    result = await proxy_client.charge_port_door_close(VIN2)
    assert result == CommandResult("charge_port_door_close", "", already=False)
    assert (await proxy.vehicle(VIN2))["charge_state"]["charge_port_door_open"] is False


async def test_proxy_refusal_prefix_is_stripped(proxy: SimulatorHandle, proxy_client: TeslaClient) -> None:
    with raises_exactly(CommandRefused) as info:
        await proxy_client.charge_start(VIN2)
    assert info.value.reason == "disconnected"
    assert "could not execute" not in str(info.value)


async def test_proxy_already_replies_are_success(proxy: SimulatorHandle, proxy_client: TeslaClient) -> None:
    assert await proxy_client.set_charge_limit(VIN, 80) == CommandResult(
        "set_charge_limit", "already_set", already=True
    )
    assert await proxy_client.charge_stop(VIN) == CommandResult("charge_stop", "not_charging", already=True)
    assert await proxy_client.charge_standard(VIN) == CommandResult(
        "charge_standard", "already_standard", already=True
    )


async def test_proxy_asleep_car_is_vehicle_unavailable(
    proxy: SimulatorHandle, proxy_client: TeslaClient
) -> None:
    await proxy.vehicle(VIN, action="state", state="asleep")
    seq = await mark(proxy)
    with raises_exactly(VehicleUnavailable) as info:
        await proxy_client.charge_start(VIN)
    # The proxy answers HTTP 500 with Tesla's "vehicle unavailable" body.
    assert info.value.status == 500
    assert [r["status"] for r in await sent_since(proxy, seq)] == [500]


async def test_proxy_wake_and_data(proxy: SimulatorHandle, proxy_client: TeslaClient) -> None:
    await proxy.vehicle(VIN, action="state", state="asleep")
    vehicle = await proxy_client.wake_and_wait(VIN, timeout=5)
    assert vehicle.is_online
    data = await proxy_client.vehicle_data(VIN)
    assert data.charge_state is not None
    assert data.charge_state.charge_limit_soc == 80


async def test_proxy_without_a_token_is_forbidden(
    proxy: SimulatorHandle, session: aiohttp.ClientSession, certificate: tuple[Path, Path]
) -> None:
    client = TeslaClient(
        session,
        static_token(""),
        base_url=proxy.url,
        ssl_context=create_ssl_context(str(certificate[0])),
    )
    with raises_exactly(Forbidden) as info:
        await client.charge_start(VIN)
    assert info.value.status == 403
    assert "did not provide an OAuth token" in str(info.value)


async def test_proxy_needs_the_vin_not_the_id(proxy: SimulatorHandle, proxy_client: TeslaClient) -> None:
    with raises_exactly(NotFound) as info:
        await proxy_client.charge_start("100001")
    assert "17-character VIN" in str(info.value)


async def test_untrusted_certificate_is_connection_failed(
    proxy: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    # Without the proxy's CA the system trust store rejects the self-signed certificate.
    client = TeslaClient(session, static_token(), base_url=proxy.url)
    seq = await mark(proxy)
    with raises_exactly(ConnectionFailed) as info:
        await client.list_vehicles()
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectorCertificateError)
    assert await sent_since(proxy, seq) == []
    assert client.costs.total.requests == 1
    assert client.costs.total.cost_usd == 0


async def test_a_different_ca_is_not_trusted(
    proxy: SimulatorHandle, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    other_cert, _ = write_certificate(other)
    client = TeslaClient(
        session, static_token(), base_url=proxy.url, ssl_context=create_ssl_context(str(other_cert))
    )
    with raises_exactly(ConnectionFailed):
        await client.list_vehicles()


def test_create_ssl_context_verifies(certificate: tuple[Path, Path]) -> None:
    context = create_ssl_context(str(certificate[0]))
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert len(context.get_ca_certs()) == 1


def test_create_ssl_context_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        create_ssl_context(str(tmp_path / "missing.pem"))
