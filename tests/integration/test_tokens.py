"""Tesla's tokens over an entry's life: refreshes that fail for a while, the rotated
refresh token on disk before its access token is used, reloads and reconfigures during
a refresh, and two cars sharing one refresh.

Tesla refresh tokens are single use: a refresh spends the old one at once.  Every test
here checks that no refresh token is spent twice, and that the user is asked to sign
in again only when Tesla refused the grant itself.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ev_charge_control.const import CONF_KNOWN_VEHICLES, CONF_VEHICLES, DOMAIN
from custom_components.ev_charge_control.setup_tesla import TOKENS_KEY, TOKENS_STORE

from ..helpers import ACCOUNT_ID, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .common import add_oauth_entry, tick
from .fault_matrix import assert_available, reauth_flows, until

TOKEN_PATH = "/oauth2/v3/token"
RESTORED = "using the token set saved at its last refresh"
pytestmark = pytest.mark.usefixtures("oauth_server")


async def _signed_in(hass: HomeAssistant, sim: SimulatorHandle) -> MockConfigEntry:
    """A signed-in entry, set up."""
    entry = await add_oauth_entry(hass, sim)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _lapse(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """The entry's access token runs out: the next request refreshes first.  The
    token set before that, for comparison."""
    old = dict(entry.data["token"])
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": {**old, "expires_at": 0}})
    return old


def _token_answers(sim: SimulatorHandle) -> list[int]:
    return [r["status"] for r in sim.world.recorder.since(0) if r["path"] == TOKEN_PATH]


def _saved(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """The token set written for ``entry`` at its last refresh."""
    saved: dict[str, Any] = hass_storage[TOKENS_STORE]["data"][entry.entry_id]["token"]
    return saved


def _in_config_entries_file(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """The entry's token set as Home Assistant's config entries file holds it."""
    [stored] = [
        e for e in hass_storage["core.config_entries"]["data"]["entries"] if e["entry_id"] == entry.entry_id
    ]
    token: dict[str, Any] = stored["data"]["token"]
    return token


async def _flush_config_entries(hass: HomeAssistant) -> None:
    """Home Assistant writes config entries a second after they change: let it."""
    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done(wait_background_tasks=True)


# ------------------------------------------------------ a refresh fails for a while
async def test_a_rate_limited_token_refresh_keeps_the_entry(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """Tesla's token endpoint answers 429 once; the refresh token itself is still good."""
    entry = await _signed_in(hass, sim)
    _lapse(hass, entry)
    await sim.fault(kind="rate_limit", path=f"^{TOKEN_PATH}$", count=1, retry_after=30)
    await tick(hass, freezer, timedelta(minutes=5, seconds=1))
    coordinator = entry.runtime_data.coordinators[VIN]
    assert not reauth_flows(hass, entry), "a 429 from the token endpoint asked the user to sign in again"
    assert coordinator.last_update_success  # the last values are kept, entities available
    assert_available(hass, entry)
    assert coordinator.update_interval == timedelta(seconds=30)  # Retry-After
    assert _token_answers(sim) == [429]
    # Asked again once the wait is over: the refresh token was not spent by the 429.
    await tick(hass, freezer, timedelta(seconds=31))
    assert _token_answers(sim) == [429, 200]
    assert coordinator.last_update_success
    seq = sim.world.recorder.last_seq
    for _ in range(6):
        await tick(hass, freezer, timedelta(minutes=5, seconds=1))
    assert len(sim.world.recorder.since(seq)) >= 6, "polling stopped"
    assert not reauth_flows(hass, entry)
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("fault", "answer"),
    [
        ({"kind": "vehicle_unavailable"}, 408),
        ({"kind": "service_unavailable"}, 503),
        ({"kind": "status", "status": 403, "body": "<html>Forbidden</html>"}, 403),
    ],
    ids=["408", "503", "403-not-oauth"],
)
async def test_a_token_endpoint_failing_for_a_while_asks_no_sign_in(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    fault: dict[str, Any],
    answer: int,
) -> None:
    """A timeout, a server failure, a page that is no OAuth answer: the poll fails, the
    entry stays, and the next poll refreshes with the same, unspent refresh token."""
    entry = await _signed_in(hass, sim)
    old = _lapse(hass, entry)
    await sim.fault(path=f"^{TOKEN_PATH}$", count=1, **fault)
    await tick(hass, freezer, timedelta(minutes=5, seconds=1))
    coordinator = entry.runtime_data.coordinators[VIN]
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert not isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
    assert not reauth_flows(hass, entry)
    await tick(hass, freezer, timedelta(minutes=5, seconds=1))
    assert coordinator.last_update_success
    assert _token_answers(sim) == [answer, 200]
    assert sim.world.tokens.refresh[old["refresh_token"]].used
    assert not reauth_flows(hass, entry)


@pytest.mark.parametrize(
    "body",
    [{"error": "invalid_grant"}, {"error": "login_required"}],
    ids=["invalid_grant", "login_required"],
)
async def test_a_refused_grant_asks_to_sign_in_again(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory, body: dict[str, str]
) -> None:
    entry = await _signed_in(hass, sim)
    _lapse(hass, entry)
    await sim.fault(
        kind="status", status=400 if body["error"] == "invalid_grant" else 401, body=body, path=TOKEN_PATH
    )
    await tick(hass, freezer, timedelta(minutes=5, seconds=1))
    coordinator = entry.runtime_data.coordinators[VIN]
    assert isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
    assert len(reauth_flows(hass, entry)) == 1


# ------------------------------------------------ the rotation reaches disk first
async def test_the_rotated_refresh_token_is_on_disk_before_its_access_token_is_used(
    hass: HomeAssistant, sim: SimulatorHandle, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    entry = await _signed_in(hass, sim)
    old = _lapse(hass, entry)
    await _flush_config_entries(hass)
    assert _in_config_entries_file(hass_storage, entry)["refresh_token"] == old["refresh_token"]
    # The first API request after the refresh is held at the simulator: look at the
    # disk while the new access token is on its way.
    held = await sim.fault(kind="delay", seconds=1, path="^/api/1/", count=1)
    coordinator = entry.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    poll = hass.async_create_task(coordinator.async_refresh())
    fault = next(f for f in sim.world.faults.faults if f.fault_id == held["fault_id"])
    await until(lambda: fault.hits == 1, "the first request with the new access token")
    new = dict(entry.data["token"])
    saved_then = dict(_saved(hass_storage, entry)) if TOKENS_STORE in hass_storage else {}
    file_then = _in_config_entries_file(hass_storage, entry)["refresh_token"]
    refreshed_then = _token_answers(sim)
    freezer.tick(timedelta(seconds=2))  # the held request goes on
    async_fire_time_changed(hass)
    await poll
    assert refreshed_then == [200]  # the held request carries the new access token
    assert sim.world.tokens.refresh[old["refresh_token"]].used  # spent at Tesla
    assert new["refresh_token"] != old["refresh_token"]
    assert saved_then.get("refresh_token") == new["refresh_token"]
    assert saved_then.get("access_token") == new["access_token"]
    # Home Assistant's own file gets it a second later; the saved set bridges that second.
    assert file_then == old["refresh_token"]
    assert coordinator.last_update_success
    await _flush_config_entries(hass)
    assert _in_config_entries_file(hass_storage, entry)["refresh_token"] == new["refresh_token"]


async def _stop_before_the_entry_is_written(
    hass: HomeAssistant, entry: MockConfigEntry, old: dict[str, Any]
) -> None:
    """Home Assistant stops (a crash, a power cut) within the second after a refresh:
    it starts again with the entry as its file held it, and nothing in memory."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": old})
    hass.data.pop(TOKENS_KEY)


async def test_a_stop_right_after_a_refresh_loses_no_refresh_token(
    hass: HomeAssistant, sim: SimulatorHandle, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    entry = await _signed_in(hass, sim)
    old = _lapse(hass, entry)
    coordinator = entry.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()
    new = dict(entry.data["token"])
    assert new["refresh_token"] != old["refresh_token"]
    await _stop_before_the_entry_is_written(hass, entry, old)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert not reauth_flows(hass, entry)
    assert entry.data["token"]["refresh_token"] == new["refresh_token"]
    assert _token_answers(sim) == [200]  # the spent one was never sent again
    assert RESTORED in caplog.text


async def test_a_new_sign_in_wins_over_the_saved_token_set(
    hass: HomeAssistant, sim: SimulatorHandle, hass_storage: dict[str, Any]
) -> None:
    """The saved set is older than a sign-in made since: the entry's own tokens are used."""
    entry = await _signed_in(hass, sim)
    _lapse(hass, entry)
    coordinator = entry.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()
    saved = dict(_saved(hass_storage, entry))
    signed_in = await sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}/tokens", {})
    await _stop_before_the_entry_is_written(
        hass, entry, {**signed_in, "expires_at": saved["expires_at"] - 60}
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.data["token"]["refresh_token"] == signed_in["refresh_token"]
    assert _token_answers(sim) == [200]  # only the first refresh: the sign-in's token is fresh
    assert not reauth_flows(hass, entry)


async def test_deleting_the_entry_deletes_its_saved_tokens(
    hass: HomeAssistant, sim: SimulatorHandle, hass_storage: dict[str, Any]
) -> None:
    entry = await _signed_in(hass, sim)
    other = MockConfigEntry(domain=DOMAIN, unique_id="another-account", data={})
    other.add_to_hass(hass)
    _lapse(hass, entry)
    coordinator = entry.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    await coordinator.async_refresh()
    assert entry.entry_id in hass_storage[TOKENS_STORE]["data"]
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert hass_storage[TOKENS_STORE]["data"] == {}
    # An entry that never refreshed has nothing saved to delete.
    assert await hass.config_entries.async_remove(other.entry_id)
    assert hass_storage[TOKENS_STORE]["data"] == {}


# ------------------------------------------------------- reloads during a refresh
async def test_a_reload_during_a_token_refresh_spends_the_refresh_token_once(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """A refresh is on its way (slow token endpoint) when the user reloads the entry."""
    entry = await _signed_in(hass, sim)
    _lapse(hass, entry)
    slow = await sim.fault(kind="delay", seconds=3, path=f"^{TOKEN_PATH}$", count=1)
    coordinator = entry.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    old_poll = hass.async_create_task(coordinator.async_refresh())
    fault = next(f for f in sim.world.faults.faults if f.fault_id == slow["fault_id"])
    await until(lambda: fault.hits == 1, "the slow refresh")
    reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
    await until(lambda: entry.state is ConfigEntryState.SETUP_IN_PROGRESS, "the new set-up")
    freezer.tick(timedelta(seconds=4))
    async_fire_time_changed(hass)
    await old_poll
    assert await reload
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _token_answers(sim) == [200]
    assert not reauth_flows(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinators[VIN].last_update_success


async def test_a_refresh_refused_after_the_entry_was_unloaded_asks_no_sign_in(
    hass: HomeAssistant, sim: SimulatorHandle, freezer: FrozenDateTimeFactory
) -> None:
    """A poll under way when the entry is unloaded learns the grant is gone; the entry
    is not loaded, so nobody is asked now.  Its next set-up asks."""
    entry = await _signed_in(hass, sim)
    _lapse(hass, entry)
    slow = await sim.fault(kind="delay", seconds=3, path=f"^{TOKEN_PATH}$", count=1)
    coordinator = entry.runtime_data.coordinators[VIN]
    coordinator.vehicle.request_fresh_data()
    poll = hass.async_create_task(coordinator.async_refresh())
    fault = next(f for f in sim.world.faults.faults if f.fault_id == slow["fault_id"])
    await until(lambda: fault.hits == 1, "the slow refresh")
    sim.world.tokens.revoke_refresh()  # the password was changed meanwhile
    assert await hass.config_entries.async_unload(entry.entry_id)
    freezer.tick(timedelta(seconds=4))
    async_fire_time_changed(hass)
    await poll
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _token_answers(sim) == [401]
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert not isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
    assert not reauth_flows(hass, entry)

    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass, entry)) == 1


class TestTwoCars:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return account_spec(vehicle_spec(), vehicle_spec(vin=VIN2, id=100002, display_name="Model S"))

    async def test_two_cars_share_one_refresh(self, hass: HomeAssistant, sim: SimulatorHandle) -> None:
        entry = await add_oauth_entry(hass, sim)
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_VEHICLES: [VIN, VIN2], CONF_KNOWN_VEHICLES: [VIN, VIN2]}
        )
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        # Both tokens die at Tesla without the entry knowing (401 on both cars' calls).
        sim.world.tokens.expire_access(sim.world.now())
        coordinators = list(entry.runtime_data.coordinators.values())
        for c in coordinators:
            c.vehicle.request_fresh_data()
        await asyncio.gather(*(c.async_refresh() for c in coordinators))
        assert _token_answers(sim) == [200]
        assert all(c.last_update_success for c in coordinators)


# --------------------------------------------------------------------- reconfigure
async def test_reconfiguring_a_signed_in_entry_refreshes_its_lapsed_token(
    hass: HomeAssistant, sim: SimulatorHandle, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The entry was not loaded for a while (disabled, or failing): its access token
    lapsed.  The reconfigure's test refreshes it, and the rotation is kept."""
    entry = await add_oauth_entry(hass, sim)
    old = _lapse(hass, entry)
    sim.world.tokens.expire_access(sim.world.now())
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plain_commands"}
    )
    assert result["type"] is FlowResultType.ABORT, result
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    new = entry.data["token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert _saved(hass_storage, entry)["refresh_token"] == new["refresh_token"]
    assert entry.state is ConfigEntryState.LOADED
    assert _token_answers(sim) == [200]
    assert not reauth_flows(hass, entry)
    # The reconfigured entry was saved with the new tokens, not the ones the flow copied.
    assert RESTORED not in caplog.text
