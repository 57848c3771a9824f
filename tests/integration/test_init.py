"""Setting up and unloading entries, OAuth tokens, and what a failed first contact means."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from homeassistant import exceptions as ha_exceptions
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from multidict import CIMultiDict, CIMultiDictProxy
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.ev_charge_control.application_credentials import TeslaImplementation
from custom_components.ev_charge_control.const import CONF_API_URL, CONF_PROVIDER, DOMAIN, PROVIDER_TESLA

from ..helpers import ACCOUNT_ID, SimulatorHandle
from .common import add_oauth_entry


def _token_requests(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["path"] == "/oauth2/v3/token"]


async def test_load_and_unload(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    assert setup_integration.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    assert setup_integration.state is ConfigEntryState.NOT_LOADED
    # Entities are gone from the state machine (kept in the registry for a reload).
    states = [
        s for s in hass.states.async_all() if s.entity_id.startswith(("switch.model_3", "sensor.model_3"))
    ]
    assert all(s.state == "unavailable" for s in states)
    assert er.async_entries_for_config_entry(er.async_get(hass), setup_integration.entry_id)


async def test_actions_exist_without_entries(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.has_service(DOMAIN, "set_scheduled_charging")
    assert hass.services.has_service(DOMAIN, "set_scheduled_departure")


@pytest.mark.parametrize(
    ("fault", "state", "key"),
    [
        ({"kind": "invalid_token"}, ConfigEntryState.SETUP_ERROR, "auth_failed"),
        ({"kind": "missing_scope"}, ConfigEntryState.SETUP_ERROR, "auth_failed"),
        ({"kind": "billing_limit"}, ConfigEntryState.SETUP_RETRY, "billing_limit"),
        ({"kind": "server_error"}, ConfigEntryState.SETUP_RETRY, "setup_failed"),
        ({"kind": "rate_limit"}, ConfigEntryState.SETUP_RETRY, "setup_failed"),
    ],
)
async def test_first_contact_failures(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    sim: SimulatorHandle,
    fault: dict[str, Any],
    state: ConfigEntryState,
    key: str,
) -> None:
    await sim.fault(path="^/api/1/vehicles$", **fault)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is state
    assert config_entry.error_reason_translation_key == key
    reauth = [f for f in hass.config_entries.flow.async_progress() if f["context"]["source"] == SOURCE_REAUTH]
    assert bool(reauth) is (key == "auth_failed")


async def test_unreachable_api_retries_setup(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_API_URL: "http://127.0.0.1:9"}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


class TestOAuth:
    @pytest.fixture
    async def oauth_entry(self, hass: HomeAssistant, oauth_server: SimulatorHandle) -> MockConfigEntry:
        return await add_oauth_entry(hass, oauth_server)

    async def test_an_expiring_token_is_refreshed_and_the_rotation_saved(
        self, hass: HomeAssistant, oauth_entry: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        old = dict(oauth_entry.data["token"])
        hass.config_entries.async_update_entry(
            oauth_entry, data={**oauth_entry.data, "token": {**old, "expires_at": time.time() - 1}}
        )
        assert await hass.config_entries.async_setup(oauth_entry.entry_id)
        new = oauth_entry.data["token"]
        assert new["refresh_token"] != old["refresh_token"]
        assert new["access_token"] != old["access_token"]
        assert sim.world.tokens.refresh[old["refresh_token"]].used
        assert not sim.world.tokens.refresh[new["refresh_token"]].used
        assert len(_token_requests(await sim.requests())) == 1

    async def test_a_rejected_access_token_is_refreshed_once(
        self, hass: HomeAssistant, oauth_entry: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        old = dict(oauth_entry.data["token"])
        sim.world.tokens.expire_access(sim.world.now(), old["access_token"])
        assert await hass.config_entries.async_setup(oauth_entry.entry_id)
        assert oauth_entry.state is ConfigEntryState.LOADED
        requests = await sim.requests()
        assert [r["status"] for r in requests if r["path"] == "/api/1/vehicles"] == [401, 200]
        assert len(_token_requests(requests)) == 1
        assert oauth_entry.data["token"]["refresh_token"] != old["refresh_token"]

    async def test_a_spent_refresh_token_starts_reauth(
        self, hass: HomeAssistant, oauth_entry: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        sim.world.tokens.revoke_refresh()
        sim.world.tokens.expire_access(sim.world.now())
        await hass.config_entries.async_setup(oauth_entry.entry_id)
        assert oauth_entry.state is ConfigEntryState.SETUP_ERROR
        flows = hass.config_entries.flow.async_progress()
        assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]

    async def test_a_failing_token_endpoint_retries_later(
        self, hass: HomeAssistant, oauth_entry: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        await sim.fault(kind="server_error", path="^/oauth2/v3/token$")
        sim.world.tokens.expire_access(sim.world.now())
        await hass.config_entries.async_setup(oauth_entry.entry_id)
        assert oauth_entry.state is ConfigEntryState.SETUP_RETRY

    @pytest.mark.parametrize(
        ("failure", "state", "key"),
        [
            (400, ConfigEntryState.SETUP_ERROR, "auth_failed"),
            (401, ConfigEntryState.SETUP_ERROR, "auth_failed"),
            (429, ConfigEntryState.SETUP_RETRY, "setup_failed"),
            (503, ConfigEntryState.SETUP_RETRY, "setup_failed"),
            (None, ConfigEntryState.SETUP_RETRY, "setup_failed"),
        ],
    )
    async def test_a_refresh_failing_in_home_assistants_hands_is_classified(
        self,
        hass: HomeAssistant,
        oauth_entry: MockConfigEntry,
        monkeypatch: pytest.MonkeyPatch,
        failure: int | None,
        state: ConfigEntryState,
        key: str,
    ) -> None:
        """A refresh that fails with an aiohttp error, not the API's own.

        Home Assistant 2026.x turns it into its OAuth classes (a reauth, a transient
        failure, no answer); 2025.4 lets the aiohttp error through.  On both, the user
        is asked to sign in again only for a refused grant; the rest is tried later.
        """

        async def refresh(self: Any, token: dict[str, Any]) -> dict[str, Any]:
            if failure is None:
                raise aiohttp.ClientConnectionError("no answer")
            info = aiohttp.RequestInfo(
                URL("https://auth.example/token"), "POST", CIMultiDictProxy(CIMultiDict())
            )
            raise aiohttp.ClientResponseError(info, (), status=failure, message="refused")

        monkeypatch.setattr(TeslaImplementation, "_async_refresh_token", refresh)
        hass.config_entries.async_update_entry(
            oauth_entry, data={**oauth_entry.data, "token": {**oauth_entry.data["token"], "expires_at": 0}}
        )
        await hass.config_entries.async_setup(oauth_entry.entry_id)
        assert oauth_entry.state is state
        assert oauth_entry.error_reason_translation_key == key
        flows = [f["context"]["source"] for f in hass.config_entries.flow.async_progress()]
        assert flows == ([SOURCE_REAUTH] if state is ConfigEntryState.SETUP_ERROR else [])

    async def test_deleted_credentials_ask_to_link_again_or_retry(
        self, hass: HomeAssistant, sim: SimulatorHandle
    ) -> None:
        """The entry's application credential is gone: what each release intends.

        Home Assistant 2026.10+ raises ``UnknownImplementationError`` (a
        ``ConfigEntryAuthFailed``): the user links the account again.  Older releases
        raise a plain ``ValueError``, which the integration answers with a retry.
        """
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=ACCOUNT_ID,
            data={
                CONF_PROVIDER: PROVIDER_TESLA,
                "auth_implementation": "gone",
                "token": {"access_token": "a", "refresh_token": "r", "expires_at": time.time() + 3600},
                CONF_API_URL: sim.url,
            },
        )
        entry.add_to_hass(hass)
        assert await async_setup_component(hass, "application_credentials", {})
        await hass.config_entries.async_setup(entry.entry_id)
        flows = [f["context"]["source"] for f in hass.config_entries.flow.async_progress()]
        if hasattr(ha_exceptions, "UnknownImplementationError"):
            assert entry.state is ConfigEntryState.SETUP_ERROR
            assert flows == [SOURCE_REAUTH]
        else:
            assert entry.state is ConfigEntryState.SETUP_RETRY
            assert entry.error_reason_translation_key == "oauth_unavailable"
            assert flows == []
