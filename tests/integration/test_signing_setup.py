"""Setting up command signing: the key, the domain Tesla fetches it from, pairing each car.

Everything goes through Home Assistant's config flow and HTTP server against the
simulator, which plays Tesla's side: it issues the partner token, fetches the public key
from the domain (for a loopback domain, from this Home Assistant's own well-known path),
registers it, and pairs it with a car when the owner "taps Add" on its stand-in for the
Tesla app's pairing page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import os
from pathlib import Path
import stat
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.ev_charge_control.api.tesla.signing import SigningKey
from custom_components.ev_charge_control.const import (
    CONF_DOMAIN,
    CONF_SIGNING,
    DISCOVERY_INTERVAL,
    SIGNING_KEY,
)
from custom_components.ev_charge_control.signing import PUBLIC_KEY_PATH, normalize_domain

from ..helpers import VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .common import (
    CLIENT_ID,
    CLIENT_SECRET,
    ClientFactory,
    add_oauth_entry,
    closed_port_url,
    configure,
    schema_fields,
    tick,
)
from .signing_support import key_file, key_host, pair_on_the_phone, read_key, signed_log, signing_form

NEW_FIRMWARE = "2025.20.6 4c5ad9d1b3a0"


@pytest.fixture
def scenario() -> dict[str, Any]:
    """A Model 3 that needs signed commands, and a 2016 Model S that takes plain ones."""
    return account_spec(
        vehicle_spec(command_signing="required", firmware=NEW_FIRMWARE),
        vehicle_spec(vin=VIN2, id=100002, display_name="Model S", command_signing="off"),
    )


# ----------------------------------------------------------------- pure helpers
@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("ha.example.com", "ha.example.com"),
        ("  HA.Example.COM ", "ha.example.com"),
        ("https://ha.example.com/", "ha.example.com"),
        ("https://ha.example.com", "ha.example.com"),
        ("127.0.0.1:8123", "127.0.0.1:8123"),
        ("http://localhost:8123", "localhost:8123"),
        ("ha.example.com:8123", None),  # Tesla fetches from port 443 only
        ("https://ha.example.com/path", None),
        ("https://ha.example.com/?a=b", None),
        ("example", None),
        ("-bad.example.com", None),
        ("bad_label.example.com", None),
        ("a..example.com", None),
        ("127.0.0.1:port", None),
        ("", None),
        ("https://", None),
    ],
)
def test_normalize_domain(value: str, domain: str | None) -> None:
    assert normalize_domain(value) == domain


# ------------------------------------------------------------------ the whole way
@pytest.mark.usefixtures("current_request_with_host")
async def test_sign_here_from_sign_in_to_a_signed_command(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    own_domain: str,
    config_dir: Path,
) -> None:
    sim = oauth_server
    await hass.config.async_update(external_url=f"http://{own_domain}")
    client = await hass_client_no_auth()
    # Before any key exists, the well-known path has nothing to serve.
    assert (await client.get(PUBLIC_KEY_PATH)).status == 404

    result = await signing_form(hass, sim, hass_client_no_auth)
    # The key was made for this form, owner-only, and is what Home Assistant now serves.
    key = await read_key(config_dir)
    mode = stat.S_IMODE((await asyncio.to_thread(os.stat, key_file(config_dir))).st_mode)
    assert mode == 0o600
    response = await client.get(PUBLIC_KEY_PATH)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/x-pem-file"
    served = await response.read()
    assert served == key.public_pem()
    assert result["description_placeholders"]["public_key"] == served.decode().strip()
    # Home Assistant's own address is suggested: it serves the key there. (A LAN address
    # with a port, as Home Assistant's internal URL usually is, would not be.)
    assert schema_fields(result)[CONF_DOMAIN] == {"suggested": own_domain}

    result = await configure(hass, result, {CONF_DOMAIN: own_domain})
    # Tesla fetched the key from Home Assistant and now holds it for the application.
    partner = await sim.call("GET", "/sim/partner")
    assert key.public_hex() in str(partner)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "signing_pair"
    pairing_url = f"{sim.url}/_ak/{own_domain}"
    assert result["description_placeholders"]["pairing_url"] == pairing_url
    assert result["description_placeholders"]["cars"] == "Model 3"  # the Model S needs no key
    [qr_code] = [key for key in result["data_schema"].schema if str(key) == "qr_code"]
    assert result["data_schema"].schema[qr_code].config["data"] == pairing_url

    # Not paired yet: Tesla says so, and the form says which car.
    result = await configure(hass, result, {})
    assert result["errors"] == {"base": "not_paired"}
    assert result["description_placeholders"]["unpaired"] == "Model 3"

    await pair_on_the_phone(sim, own_domain, VIN)
    result = await configure(hass, result, {})
    assert result["step_id"] == "vehicles"  # then, as always, which cars to add
    result = await configure(hass, result, {"vehicles": [VIN, VIN2]})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_SIGNING] == SIGNING_KEY
    assert entry.data[CONF_DOMAIN] == own_domain
    assert "private" not in str(entry.data).lower()
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    seq = int((await sim.call("GET", "/sim/requests"))["last_seq"])
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.model_3_charging"}, blocking=True
    )
    assert await signed_log(sim, seq) == [("handshake", None), ("command", "charge_start")]
    assert (await sim.vehicle())["charge_state"]["charging_state"] == "Starting"


@pytest.mark.usefixtures("current_request_with_host")
async def test_pair_later_finishes_with_a_repair(
    hass: HomeAssistant, oauth_server: SimulatorHandle, hass_client_no_auth: ClientFactory, own_domain: str
) -> None:
    result = await signing_form(hass, oauth_server, hass_client_no_auth)
    result = await configure(hass, result, {CONF_DOMAIN: own_domain})
    result = await configure(hass, result, {"pair_later": True})
    result = await configure(hass, result, {"vehicles": [VIN, VIN2]})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    issues = [key for key in _issues(hass) if key.startswith(f"key_not_paired_{entry.entry_id}_")]
    assert issues == [f"key_not_paired_{entry.entry_id}_{VIN.lower()}"]


@pytest.mark.usefixtures("current_request_with_host")
async def test_a_car_that_leaves_the_account_takes_its_repair_with_it(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    own_domain: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    result = await signing_form(hass, oauth_server, hass_client_no_auth)
    result = await configure(hass, result, {CONF_DOMAIN: own_domain})
    result = await configure(hass, result, {"pair_later": True})
    result = await configure(hass, result, {"vehicles": [VIN, VIN2]})
    await hass.async_block_till_done()
    entry = result["result"]
    assert f"key_not_paired_{entry.entry_id}_{VIN.lower()}" in _issues(hass)
    (account,) = (a for a in oauth_server.world.accounts.values() if VIN in a.vins)
    oauth_server.world.remove_vehicle(account, VIN)
    await tick(hass, freezer, DISCOVERY_INTERVAL)
    assert [key for key in _issues(hass) if entry.entry_id in key] == []


def _issues(hass: HomeAssistant) -> list[str]:
    return [issue_id for (_, issue_id) in ir.async_get(hass).issues]


# ------------------------------------------------------------------------ errors
class TestDomainErrors:
    """Each way registration fails has its own message, and nothing is saved."""

    @pytest.fixture
    async def other_key_server(self) -> AsyncIterator[str]:
        """A web server on loopback that hosts someone else's key: its domain."""
        async with key_host(SigningKey.generate().public_pem()) as domain:
            yield domain

    @pytest.fixture
    async def garbage_key_server(self) -> AsyncIterator[str]:
        """Hosts an RSA key, which Tesla cannot use."""
        rsa_pem = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        async with key_host(rsa_pem) as domain:
            yield domain

    @pytest.mark.usefixtures("current_request_with_host")
    async def test_each_failure_is_named(
        self,
        hass: HomeAssistant,
        oauth_server: SimulatorHandle,
        hass_client_no_auth: ClientFactory,
        other_key_server: str,
        garbage_key_server: str,
    ) -> None:
        result = await signing_form(hass, oauth_server, hass_client_no_auth)
        nothing_there = closed_port_url().removeprefix("http://")
        for domain, errors, detail in (
            ("ha.example.com:8443", {CONF_DOMAIN: "invalid_domain"}, ""),
            ("not a domain", {CONF_DOMAIN: "invalid_domain"}, ""),
            (nothing_there, {"base": "key_not_hosted"}, f"http://{nothing_there}{PUBLIC_KEY_PATH}"),
            (
                garbage_key_server,
                {"base": "hosted_key_mismatch"},
                f"http://{garbage_key_server}{PUBLIC_KEY_PATH}",
            ),
            (other_key_server, {"base": "public_key_mismatch"}, ""),
        ):
            result = await configure(hass, result, {CONF_DOMAIN: domain})
            assert result["type"] is FlowResultType.FORM, domain
            assert result["step_id"] == "signing_domain"
            assert result["errors"] == errors, domain
            assert result["description_placeholders"]["detail"] == detail, domain
            # What was typed stays in the form.
            assert schema_fields(result)[CONF_DOMAIN] == {"suggested": domain}
        assert hass.config_entries.async_entries() == []


class TestApplicationRules:
    """Tesla's rules for the application: its allowed origins and its credentials."""

    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        spec = account_spec(vehicle_spec(command_signing="required", firmware=NEW_FIRMWARE))
        spec["tesla"]["apps"] = [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "allowed_origins": ["https://ha.example.com"],
            }
        ]
        return spec

    @pytest.mark.usefixtures("current_request_with_host")
    async def test_a_domain_outside_the_allowed_origins(
        self,
        hass: HomeAssistant,
        oauth_server: SimulatorHandle,
        hass_client_no_auth: ClientFactory,
        own_domain: str,
    ) -> None:
        result = await signing_form(hass, oauth_server, hass_client_no_auth)
        result = await configure(hass, result, {CONF_DOMAIN: own_domain})
        assert result["errors"] == {"base": "domain_not_allowed"}

    @pytest.mark.usefixtures("current_request_with_host")
    async def test_a_hosted_key_tesla_can_fetch(
        self,
        hass: HomeAssistant,
        oauth_server: SimulatorHandle,
        hass_client_no_auth: ClientFactory,
        config_dir: Path,
    ) -> None:
        """The key hosted elsewhere at the application's real domain works just as well."""
        result = await signing_form(hass, oauth_server, hass_client_no_auth)
        key = await read_key(config_dir)
        await oauth_server.call(
            "POST", "/sim/partner/hosted_keys", {"domain": "ha.example.com", "pem": key.public_pem().decode()}
        )
        result = await configure(hass, result, {CONF_DOMAIN: "https://ha.example.com/"})
        assert result["step_id"] == "signing_pair"
        assert result["description_placeholders"]["domain"] == "ha.example.com"

    @pytest.mark.usefixtures("current_request_with_host")
    async def test_credentials_tesla_refuses(
        self,
        hass: HomeAssistant,
        oauth_server: SimulatorHandle,
        hass_client_no_auth: ClientFactory,
    ) -> None:
        result = await signing_form(hass, oauth_server, hass_client_no_auth)
        # The secret was rotated in Tesla's dashboard after Home Assistant was given it.
        oauth_server.world.partners.apps[CLIENT_ID].client_secret = "rotated-secret"
        result = await configure(hass, result, {CONF_DOMAIN: "ha.example.com"})
        assert result["errors"] == {"base": "partner_auth_failed"}


# ------------------------------------------------------------------- reconfigure
async def test_reconfigure_an_entry_to_sign_here(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    own_domain: str,
) -> None:
    """A signed-in account that sent plain commands moves to signing, and its repair goes."""
    entry = await add_oauth_entry(hass, oauth_server)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert [i for i in _issues(hass) if i.startswith("signing_not_set_up")] == [
        f"signing_not_set_up_{entry.entry_id}_{VIN.lower()}"
    ]

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    result = await configure(hass, result, {"next_step_id": "signing_domain"})
    result = await configure(hass, result, {CONF_DOMAIN: own_domain})
    assert result["step_id"] == "signing_pair"
    await pair_on_the_phone(oauth_server, own_domain, VIN)
    result = await configure(hass, result, {})
    # Then the cars to control, as chosen before.
    assert result["step_id"] == "vehicles"
    result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_SIGNING] == SIGNING_KEY
    assert entry.data[CONF_DOMAIN] == own_domain
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert [i for i in _issues(hass) if i.startswith(("signing_not_set_up", "key_not_paired"))] == []
