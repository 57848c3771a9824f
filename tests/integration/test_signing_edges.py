"""Signing when things go wrong around it: Tesla unreachable during set-up or a repair,
a lost key file, a car asleep since start-up, an entry that is not loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.ev_charge_control.const import CONF_DOMAIN, DOMAIN
from custom_components.ev_charge_control.issues import (
    ISSUE_KEY_NOT_PAIRED,
    ISSUE_SIGNING_NOT_SET_UP,
    issue_id,
)
from custom_components.ev_charge_control.repairs import async_create_fix_flow
from custom_components.ev_charge_control.signing import PUBLIC_KEY_PATH

from ..helpers import VIN, SimulatorHandle, account_spec, vehicle_spec
from .common import ClientFactory, add_oauth_entry, configure, device_for
from .signing_support import (
    add_signing_entry,
    key_file,
    last_seq,
    pair_on_the_phone,
    signed_log,
    signing_form,
)

NEW_FIRMWARE = "2025.20.6 4c5ad9d1b3a0"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(vehicle_spec(command_signing="required", firmware=NEW_FIRMWARE))


# ------------------------------------------------------------------ registration
@pytest.mark.usefixtures("current_request_with_host")
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "server_error", "path": "/oauth2/v3/token$", "method": "POST"}, "registration_failed"),
        ({"kind": "disconnect", "path": "/oauth2/v3/token$", "method": "POST"}, "cannot_connect"),
        ({"kind": "disconnect", "path": "/partner_accounts$"}, "cannot_connect"),
        # Tesla failed although the key is there: only Tesla's words are left to show.
        ({"kind": "server_error", "path": "/partner_accounts$"}, "registration_failed"),
        ({"kind": "wrong_region", "path": "/partner_accounts$"}, "wrong_region"),
    ],
    ids=[
        "token_server_error",
        "token_unreachable",
        "register_unreachable",
        "register_server_error",
        "register_wrong_region",
    ],
)
async def test_tesla_failing_during_registration(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    own_domain: str,
    fault: dict[str, Any],
    error: str,
) -> None:
    result = await signing_form(hass, oauth_server, hass_client_no_auth)
    await oauth_server.fault(**fault, count=1)
    result = await configure(hass, result, {CONF_DOMAIN: own_domain})
    assert result["step_id"] == "signing_domain"
    assert result["errors"] == {"base": error}
    # The same form, unchanged, works once Tesla answers again.
    result = await configure(hass, result, {CONF_DOMAIN: own_domain})
    assert result["step_id"] == "signing_pair"


@pytest.mark.usefixtures("current_request_with_host")
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "server_error"}, "cannot_connect"),
        (
            {"kind": "status", "status": 412, "body": {"response": None, "error": "Precondition Failed"}},
            "not_registered",
        ),
    ],
    ids=["server_error", "not_registered"],
)
async def test_pairing_check_when_tesla_does_not_answer(
    hass: HomeAssistant,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    own_domain: str,
    fault: dict[str, Any],
    error: str,
) -> None:
    result = await signing_form(hass, oauth_server, hass_client_no_auth)
    result = await configure(hass, result, {CONF_DOMAIN: own_domain})
    await pair_on_the_phone(oauth_server, own_domain, VIN)
    await oauth_server.fault(**fault, path="/fleet_status$", count=1)
    result = await configure(hass, result, {})
    assert result["step_id"] == "signing_pair"
    assert result["errors"] == {"base": error}
    result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


# ------------------------------------------------------------------------ set-up
async def test_a_lost_key_file_falls_back_to_a_repair(
    hass: HomeAssistant, oauth_server: SimulatorHandle, config_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The key file was deleted (and the pairing with it): plain commands and a repair, no crash."""
    entry, _ = await add_signing_entry(hass, oauth_server, paired=(VIN,))
    key_file(config_dir).unlink()
    hass.data.pop(f"{DOMAIN}_signing_key")  # as after a restart
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert "command key file is missing" in caplog.text
    repair = issue_id(ISSUE_SIGNING_NOT_SET_UP, entry.entry_id, VIN)
    assert ir.async_get(hass).async_get_issue(DOMAIN, repair) is not None


async def test_tesla_unreachable_at_set_up_leaves_the_repairs_alone(
    hass: HomeAssistant, oauth_server: SimulatorHandle
) -> None:
    entry, _ = await add_signing_entry(hass, oauth_server)
    await oauth_server.fault(kind="server_error", path="/fleet_status$", count=1)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert [key for key in ir.async_get(hass).issues if key[0] == DOMAIN] == []


async def test_the_view_says_when_no_key_was_made(
    hass: HomeAssistant, setup_integration: Any, hass_client_no_auth: ClientFactory
) -> None:
    client = await hass_client_no_auth()
    response = await client.get(PUBLIC_KEY_PATH)
    assert response.status == 404
    assert await response.text() == "No key has been made yet.\n"


# ------------------------------------------------------------------------ repair
class TestPairingRepair:
    async def test_checks_that_cannot_be_made(
        self, hass: HomeAssistant, oauth_server: SimulatorHandle
    ) -> None:
        entry, _ = await add_signing_entry(hass, oauth_server)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        repair = issue_id(ISSUE_KEY_NOT_PAIRED, entry.entry_id, VIN)
        assert ir.async_get(hass).async_get_issue(DOMAIN, repair) is not None
        assert await async_setup_component(hass, "repairs", {})
        manager = repairs_flow_manager(hass)
        assert manager is not None
        result = await manager.async_init(DOMAIN, data={"issue_id": repair})

        await oauth_server.fault(kind="server_error", path="/fleet_status$", count=1)
        result = await manager.async_configure(result["flow_id"], {})
        assert result["errors"] == {"base": "cannot_connect"}

        assert await hass.config_entries.async_unload(entry.entry_id)
        result = await manager.async_configure(result["flow_id"], {})
        assert result["errors"] == {"base": "entry_not_loaded"}

    async def test_only_pairing_has_a_fix_flow(self, hass: HomeAssistant) -> None:
        with pytest.raises(ValueError, match="no fix flow"):
            await async_create_fix_flow(hass, "signing_not_set_up_x_y", {})


# -------------------------------------------------------------------- schedules
async def test_a_car_asleep_since_start_up_is_read_before_its_schedule_is_written(
    hass: HomeAssistant, oauth_server: SimulatorHandle
) -> None:
    """Which firmware it runs decides legacy command or schedule: one data request tells."""
    await oauth_server.vehicle(action="state", state="asleep")
    entry, _ = await add_signing_entry(hass, oauth_server, paired=(VIN,))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    device = device_for(hass, (DOMAIN, VIN))
    assert device is not None
    seq = await last_seq(oauth_server)
    await hass.services.async_call(
        DOMAIN,
        "set_scheduled_charging",
        {"device_id": device.id, "enable": True, "time": "02:00"},
        blocking=True,
    )
    paths = [r["path"].rsplit("/", 1)[-1] for r in await oauth_server.requests(since=seq)]
    assert "wake_up" in paths
    assert "vehicle_data" in paths
    assert await signed_log(oauth_server, seq) == [("handshake", None), ("command", "add_charge_schedule")]


async def test_reconfigure_after_the_application_credentials_were_deleted(
    hass: HomeAssistant, oauth_server: SimulatorHandle, hass_ws_client: Any
) -> None:
    entry = await add_oauth_entry(hass, oauth_server)
    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, {"next_step_id": "signing_domain"})
    assert result["step_id"] == "signing_domain"
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "application_credentials/list"})
    [credential] = (await client.receive_json())["result"]
    await client.send_json_auto_id(
        {"type": "application_credentials/delete", "application_credentials_id": credential["id"]}
    )
    assert (await client.receive_json())["success"]
    result = await configure(hass, result, {CONF_DOMAIN: "ha.example.com"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"
