"""The re.alto part of the config flow: credentials, EV selection, reauth, reconfigure."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import (
    CONF_API_URL,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_REALTO,
)

from ..helpers import (
    ENTITY_ID,
    ENTITY_ID2,
    REALTO_CLIENT_ID,
    REALTO_SECRET,
    SimulatorHandle,
    realto_entity_spec,
    realto_spec,
)
from .common import schema_fields

OTHER_CLIENT = "other-client"


@pytest.fixture
def scenario() -> dict[str, Any]:
    spec = realto_spec(
        realto_entity_spec(),
        realto_entity_spec(id=ENTITY_ID2, name=None, manufacturer="Kia", model="EV6", vin="KNAC000000000002"),
    )
    spec["realto"]["clients"].append({"id": OTHER_CLIENT, "secret": "other-secret"})
    return spec


async def _start(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "realto"})


def _credentials(sim: SimulatorHandle, **changes: str) -> dict[str, str]:
    return {
        CONF_API_URL: f"{sim.url}/api",
        CONF_CLIENT_ID: REALTO_CLIENT_ID,
        CONF_CLIENT_SECRET: REALTO_SECRET,
        **changes,
    }


async def test_realto_creates_an_entry_with_the_chosen_evs(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    result = await _start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "realto"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(sim))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "vehicles"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_VEHICLES: [ENTITY_ID]})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == REALTO_CLIENT_ID  # the token's subject, from the platform
    assert entry.data == {
        CONF_PROVIDER: PROVIDER_REALTO,
        CONF_API_URL: f"{sim.url}/api",
        CONF_CLIENT_ID: REALTO_CLIENT_ID,
        CONF_CLIENT_SECRET: REALTO_SECRET,
        CONF_VEHICLES: [ENTITY_ID],
        # Both were seen; the one left out is not "new" later.
        CONF_KNOWN_VEHICLES: [ENTITY_ID, ENTITY_ID2],
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("switch.id_4_charging") is not None
    assert hass.states.get("switch.kia_ev6_charging") is None


async def test_the_vehicles_step_labels_evs_by_name_or_make_and_model(
    hass: HomeAssistant, sim: SimulatorHandle
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(sim))
    schema = result["data_schema"].schema
    selector = next(iter(schema.values()))
    labels = {option["value"]: option["label"] for option in selector.config["options"]}
    assert labels[ENTITY_ID].startswith("ID.4")
    assert labels[ENTITY_ID2].startswith("Kia EV6")


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_CLIENT_SECRET: "wrong"}, {"base": "invalid_auth"}),
        ({CONF_API_URL: "http://127.0.0.1:9/api"}, {"base": "cannot_connect"}),
        ({CONF_API_URL: "http://example.com/api"}, {CONF_API_URL: "invalid_url"}),
        ({CONF_CLIENT_ID: " "}, {CONF_CLIENT_ID: "empty_field"}),
        ({CONF_CLIENT_SECRET: ""}, {CONF_CLIENT_SECRET: "empty_field"}),
    ],
)
async def test_errors_show_on_the_form(
    hass: HomeAssistant, sim: SimulatorHandle, changes: dict[str, str], errors: dict[str, str]
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(sim, **changes))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # Recovering works without starting over.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(sim))
    assert result["step_id"] == "vehicles"


async def test_an_account_without_evs(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    sim.world.realto.entities.clear()
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(sim))
    assert result["errors"] == {"base": "no_vehicles"}


async def test_the_same_account_twice_is_refused(hass: HomeAssistant, sim: SimulatorHandle) -> None:
    MockConfigEntry(
        domain=DOMAIN, unique_id=REALTO_CLIENT_ID, data={CONF_PROVIDER: PROVIDER_REALTO}
    ).add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.fixture
def realto_entry(hass: HomeAssistant, sim: SimulatorHandle) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=REALTO_CLIENT_ID,
        data={
            CONF_PROVIDER: PROVIDER_REALTO,
            CONF_API_URL: f"{sim.url}/api",
            CONF_CLIENT_ID: REALTO_CLIENT_ID,
            CONF_CLIENT_SECRET: "outdated",
            CONF_VEHICLES: [ENTITY_ID],
            CONF_KNOWN_VEHICLES: [ENTITY_ID],
        },
    )
    entry.add_to_hass(hass)
    return entry


async def test_refused_credentials_start_reauth_which_fixes_them(
    hass: HomeAssistant, realto_entry: MockConfigEntry
) -> None:
    await hass.config_entries.async_setup(realto_entry.entry_id)
    assert realto_entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_realto"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_CLIENT_ID: REALTO_CLIENT_ID, CONF_CLIENT_SECRET: ""}
    )
    assert result["errors"] == {CONF_CLIENT_SECRET: "empty_field"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_CLIENT_ID: REALTO_CLIENT_ID, CONF_CLIENT_SECRET: "still wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_CLIENT_ID: REALTO_CLIENT_ID, CONF_CLIENT_SECRET: REALTO_SECRET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert realto_entry.data[CONF_CLIENT_SECRET] == REALTO_SECRET
    assert realto_entry.state is ConfigEntryState.LOADED


async def test_reauth_with_another_account_is_refused(
    hass: HomeAssistant, realto_entry: MockConfigEntry
) -> None:
    result = await realto_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: OTHER_CLIENT, CONF_CLIENT_SECRET: "other-secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_reconfigure_the_platform_url(
    hass: HomeAssistant, realto_entry: MockConfigEntry, sim: SimulatorHandle
) -> None:
    hass.config_entries.async_update_entry(
        realto_entry, data={**realto_entry.data, CONF_CLIENT_SECRET: REALTO_SECRET}
    )
    result = await realto_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_realto"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_URL: "ftp://x"})
    assert result["errors"] == {CONF_API_URL: "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: "http://127.0.0.1:9/api"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_URL: f"{sim.url}/api/"}
    )
    # Then the EVs to control: the entry's own, and the one the account gained since.
    assert result["step_id"] == "vehicles"
    assert schema_fields(result)[CONF_VEHICLES] == {"default": sorted([ENTITY_ID, ENTITY_ID2])}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert realto_entry.data[CONF_API_URL] == f"{sim.url}/api"
