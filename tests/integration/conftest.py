"""Fixtures for the integration's tests: Home Assistant with entries on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from aiohttp.web_urldispatcher import UrlDispatcher
from homeassistant.components.application_credentials import ClientCredential, async_import_client_credential
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.api.tesla.signing import SigningKey
from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    ENV_TESLA_AUTH_URL,
    PROVIDER_TESLA,
)
from custom_components.ev_charge_control.signing import KEY_FILE
from simulator import FakeClock

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, SimulatorHandle
from .common import AUTH_DOMAIN, CLIENT_ID, CLIENT_SECRET, ClientFactory
from .fault_matrix import Outage
from .signing_support import private_key_fragments


@pytest.fixture
def clock() -> FakeClock:
    """The simulated platforms start at Home Assistant's now, as real ones would be."""
    return FakeClock(start=dt_util.utcnow().timestamp())


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def no_deprecated_use(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The integration uses nothing Home Assistant reports as deprecated or wrong.

    Home Assistant logs "Detected that custom integration ..." for such a use (on newer
    releases, for instance, reading a device's deprecated ``config_entries``).
    """
    yield
    # At teardown ``caplog.records`` holds only the teardown's records.
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    reports = [
        record.getMessage()
        for record in records
        if f"custom integration '{DOMAIN}'" in record.getMessage() and "Detected" in record.getMessage()
    ]
    assert not reports, reports


@pytest.fixture(autouse=True)
def routes_stay_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Views can be added after the HTTP server started, as in a running Home Assistant.

    Home Assistant turns off aiohttp's router freeze when it starts its server
    (``HomeAssistantHTTP.start``), so an integration set up later still registers its
    views.  The tests' HTTP client starts the app without that, so do it here too.
    """
    monkeypatch.setattr(UrlDispatcher, "freeze", lambda self: None)


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    """Files the integration writes (the signing key) go to a fresh folder per test.

    When a test made the installation's key, no byte of its private half may appear in
    the log (the test output): checked after every test, as for tokens.
    """
    folder = tmp_path / "config"
    hass.config.config_dir = str(folder)
    yield folder
    path = folder / ".storage" / KEY_FILE
    if path.exists():
        pem = path.read_bytes()
        fragments = private_key_fragments(pem, SigningKey.from_pem(pem))
        assert not [fragment for fragment in fragments if fragment in caplog.text]


@pytest.fixture
def entry_data(sim: SimulatorHandle) -> dict[str, Any]:
    """A Tesla entry that uses an access token on the simulator."""
    vins = [vin for account in sim.world.accounts.values() for vin in account.vins]
    return {
        CONF_PROVIDER: PROVIDER_TESLA,
        CONF_API_URL: sim.url,
        CONF_ACCESS_TOKEN: ACCESS_TOKEN,
        CONF_VEHICLES: vins,
    }


@pytest.fixture
def config_entry(hass: HomeAssistant, entry_data: dict[str, Any]) -> MockConfigEntry:
    entry = MockConfigEntry(domain=DOMAIN, title="owner@example.com", unique_id=ACCOUNT_ID, data=entry_data)
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def setup_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture
async def outage(sim: SimulatorHandle) -> AsyncIterator[Outage]:
    """The simulator's server stopped on demand (connection refused), restarted later."""
    stopped = Outage(sim)
    yield stopped
    await stopped.close()


@pytest.fixture
async def credentials(hass: HomeAssistant) -> None:
    """The Tesla developer application's client id and secret, as the user adds them."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET), AUTH_DOMAIN
    )


@pytest.fixture
def oauth_server(sim: SimulatorHandle, credentials: None, monkeypatch: pytest.MonkeyPatch) -> SimulatorHandle:
    """Sign-in goes to the simulator instead of auth.tesla.com."""
    monkeypatch.setenv(ENV_TESLA_AUTH_URL, sim.url)
    return sim


@pytest.fixture
async def own_domain(hass: HomeAssistant, hass_client_no_auth: ClientFactory) -> str:
    """This Home Assistant's HTTP server as the application's domain (loopback, so http)."""
    client = await hass_client_no_auth()
    return f"127.0.0.1:{client.server.port}"
