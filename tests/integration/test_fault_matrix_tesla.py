"""Fault matrix, Tesla: every fault against every operation, as the user meets it.

The table below is the test: ``read_table`` builds one test per cell from it.

| fault               | poll                | setup               | reauth          | command                         |
|---------------------|---------------------|---------------------|-----------------|---------------------------------|
| token_expired       | !auth_failed+reauth | !auth_failed+reauth | !invalid_auth   | !auth_failed+reauth 1/0         |
| token_expired_oauth | ok                  | ok                  | —               | refresh 2/1                     |
| refresh_token_used  | !auth_failed+reauth | !auth_failed+reauth | ok              | !auth_failed+reauth 1/0         |
| missing_scope       | !auth_failed+reauth | !auth_failed+reauth | !missing_scope  | !missing_scope+reauth 1/0       |
| signing_required    | ok                  | ok                  | ok              | !signing_required 1/0           |
| billing_limit       | !billing_limit      | !billing_limit      | !billing_limit  | !billing_limit 1/0              |
| vehicle_asleep      | kept                | ok                  | ok              | wake 2/1                        |
| vehicle_offline     | kept                | ok                  | ok              | !wake_timeout 1/0               |
| wrong_region        | ok                  | ok                  | ok              | !command_failed 1/0             |
| rate_limit          | kept                | !setup_failed       | !cannot_connect | !command_rate_limited 1/0       |
| server_error        | !server_error       | !setup_failed       | !cannot_connect | !server_error 1/0               |
| timeout             | !cannot_connect     | !setup_failed       | !cannot_connect | !cannot_connect 1/0             |
| connection_refused  | !cannot_connect     | !setup_failed       | !cannot_connect | !cannot_connect 0/0             |
| malformed           | !update_failed      | !setup_failed       | !cannot_connect | !command_failed 1/0             |
| reply_lost          | ok                  | ok                  | ok              | !cannot_connect 1/1             |
| data_fails          | ok                  | unavailable         | ok              | ok 1/1                          |

Columns (operations):

- **poll**: the scheduled refresh 5 minutes after a good set-up.
- **setup**: setting up the config entry.
- **reauth**: the reauthentication flow's credential test: the access token form
  (``reauth_token``), or for ``refresh_token_used`` signing in with Tesla again.
- **command**: each control as a user triggers it, one test each: the charging switch
  on and off, the scheduled charging switch, the charge limit and charging current
  numbers (after the coalescing window), the four buttons, and the
  ``set_scheduled_charging`` and ``set_scheduled_departure`` actions. One column,
  because every command meets each fault alike; one that did not would get its own.

Rows (faults): ``token_expired`` (an entry with a fixed access token: every request
gets 401 "token expired"), ``token_expired_oauth`` (a signed-in entry whose access
token expired at Tesla), ``refresh_token_used`` (signed in, the access token expired
and the refresh token spent), ``missing_scope``, ``billing_limit``, ``rate_limit``
(429 with ``Retry-After: 30``), ``server_error`` (500) and ``malformed`` (truncated
JSON) on every request; ``signing_required`` on commands; the car asleep or offline;
``wrong_region`` (the account moved to Europe, Tesla answers 421); ``timeout`` (the
simulator never answers, the client's own 30 s timeout ends the request);
``connection_refused`` (the simulator's server is stopped). Two rows fail one request
among several: ``reply_lost`` (a command reaches the car and is carried out, but its
answer never comes: the client's timeout ends it, and the car is asked again after
the confirmation delay rather than at the next idle poll, so the entity shows what
the car did; nobody needs to send it again) and ``data_fails`` (the account's list
answers, the car's ``vehicle_data`` gets a 500; a poll while no data is due does not
notice).

Cells:

- ``ok``: works; entities available.
- ``unavailable`` (set-up): the account answered, so the entry loads, but the car's
  entities are unavailable until its data can be read: one car whose data fails does
  not keep the account's other cars from loading.
- ``kept``: the poll succeeds without fresh values: entities stay available with the
  last ones (a sleeping car; a rate limit, asked again after ``Retry-After``).
- ``wake``: the command got 408 (the car fell asleep since the last poll); the car was
  woken once and the command sent once more.
- ``refresh``: the command got 401; the token was refreshed once and the command sent
  once more.
- ``!key``: fails with the translated error ``key``. A poll: the entities become
  unavailable with it. A set-up: the entry shows it and retries in the background. The
  reauth form: shows it. A command: the user gets it, and the entities stay available,
  showing the car's real state.
- ``+reauth``: Home Assistant asks to sign in again (a set-up then waits for that).
- ``n/m`` (commands): ``n`` command requests reached the API during the user's action;
  ``m`` is 1 if the car carried the command out. Commands are retried on two rules
  only: once after a 408 (waking the car first), once after a 401 (refreshing the
  token first).
- ``—``: does not apply: the token entry's row covers this form, and an OAuth
  reauthentication signs in afresh, with no expired token to refresh.

Every cell also checks that nothing logged a traceback, and that it recovers without a
restart once the fault clears (faults removed, car back online, server started again,
or the reauth flow completed where one was asked for): the next poll works, a failed
set-up succeeds when it retries, and a failed command works when the user sends it
again, once, so that in the end the car carried it out exactly once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, override

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.ev_charge_control.api.tesla.client import DEFAULT_TIMEOUT
from custom_components.ev_charge_control.const import (
    COALESCE_DELAY,
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_VEHICLES,
    CONFIRM_DELAY,
    DOMAIN,
    PROVIDER_TESLA,
    TESLA_STATE_INTERVAL,
)
from custom_components.ev_charge_control.issues import ISSUE_SIGNING_NOT_SET_UP
from simulator.tesla.vehicle import SimVehicle

from ..helpers import ACCESS_TOKEN, ACCOUNT_ID, VIN, SimulatorHandle, account_spec, vehicle_spec
from .common import add_oauth_entry, device_for, entity_state
from .fault_matrix import (
    Cell,
    Driver,
    MatrixWorld,
    Outage,
    assert_available,
    assert_form_error,
    assert_translated,
    read_table,
    setup_error,
    tracebacks,
    until,
)

ClientFactory = Callable[[], Awaitable[TestClient]]
UserAction = Callable[[HomeAssistant], Awaitable[Any]]


def _service(domain: str, service: str, **data: Any) -> UserAction:
    async def call(hass: HomeAssistant) -> None:
        await hass.services.async_call(domain, service, data, blocking=True)

    return call


def _action(service: str, **data: Any) -> UserAction:
    async def call(hass: HomeAssistant) -> None:
        device = device_for(hass, (DOMAIN, VIN))
        assert device is not None
        await hass.services.async_call(DOMAIN, service, {"device_id": device.id, **data}, blocking=True)

    return call


def _charge(key: str, *values: Any) -> Callable[[SimVehicle], bool]:
    return lambda car: car.charge_state()[key] in values


@dataclass(frozen=True)
class Command:
    """A control as a user triggers it, and where its effect shows."""

    call: UserAction
    done: Callable[[SimVehicle], bool]
    """Whether the simulated car carried the command out."""
    entity: str | None
    before: str | None = None
    after: str | None = None
    car: dict[str, Any] = field(default_factory=dict)
    """How the car starts, so that the command has something to change."""
    window: bool = False
    """A number: the call waits for the coalescing window."""


CHARGING = "switch.model_3_charging"
SCHEDULED = "switch.model_3_scheduled_charging"
LIMIT = "number.model_3_charge_limit"
AMPS = "number.model_3_charging_current"
PORT = "binary_sensor.model_3_charge_port"
COMMANDS: dict[str, Command] = {
    "charging_on": Command(
        _service("switch", "turn_on", entity_id=CHARGING),
        _charge("charging_state", "Starting", "Charging"),
        CHARGING,
        "off",
        "on",
    ),
    "charging_off": Command(
        _service("switch", "turn_off", entity_id=CHARGING),
        _charge("charging_state", "Stopped"),
        CHARGING,
        "on",
        "off",
        {"charging": True},
    ),
    "scheduled_charging": Command(
        _service("switch", "turn_on", entity_id=SCHEDULED),
        _charge("scheduled_charging_mode", "StartAt"),
        SCHEDULED,
        "off",
        "on",
    ),
    "charge_limit": Command(
        _service("number", "set_value", entity_id=LIMIT, value=85),
        _charge("charge_limit_soc", 85),
        LIMIT,
        "80",
        "85",
        window=True,
    ),
    "charging_amps": Command(
        _service("number", "set_value", entity_id=AMPS, value=10),
        _charge("charge_current_request", 10),
        AMPS,
        "16",
        "10",
        window=True,
    ),
    "open_charge_port": Command(
        _service("button", "press", entity_id="button.model_3_open_charge_port"),
        _charge("charge_port_door_open", True),
        PORT,
        "off",
        "on",
        {"plugged_in": False, "charge_port_door_open": False},
    ),
    "close_charge_port": Command(
        _service("button", "press", entity_id="button.model_3_close_charge_port"),
        _charge("charge_port_door_open", False),
        PORT,
        "on",
        "off",
        {"plugged_in": False, "charge_port_door_open": True},
    ),
    "max_range": Command(
        _service("button", "press", entity_id="button.model_3_charge_to_max_range"),
        _charge("charge_limit_soc", 100),
        LIMIT,
        "80",
        "100",
    ),
    "standard_range": Command(
        _service("button", "press", entity_id="button.model_3_charge_to_standard_range"),
        _charge("charge_limit_soc", 80),
        LIMIT,
        "90",
        "80",
        {"charge_limit": 90},
    ),
    "set_scheduled_charging": Command(
        _action("set_scheduled_charging", enable=True, time="01:30"),
        lambda car: car.charge_state()["scheduled_charging_start_time_minutes"] == 90,
        SCHEDULED,
        "off",
        "on",
    ),
    "set_scheduled_departure": Command(
        _action("set_scheduled_departure", departure_time="07:30"),
        lambda car: car.departure.enabled and car.departure.departure_minutes == 450,
        None,
    ),
}
COLUMNS = {"poll": ("poll",), "setup": ("setup",), "reauth": ("reauth",), "command": tuple(COMMANDS)}
# Entries signed in with Tesla (OAuth); the other rows use an access token entry.
OAUTH_ROWS = frozenset({"token_expired_oauth", "refresh_token_used"})
HTTP_FAULTS: dict[str, dict[str, Any]] = {
    "token_expired": {"kind": "token_expired"},
    "missing_scope": {"kind": "missing_scope"},
    "signing_required": {"kind": "signing_required", "category": "command"},
    "billing_limit": {"kind": "billing_limit"},
    "rate_limit": {"kind": "rate_limit", "retry_after": 30},
    "server_error": {"kind": "server_error"},
    "timeout": {"kind": "hang"},
    "malformed": {"kind": "malformed"},
    "reply_lost": {"kind": "drop_reply", "category": "command"},
    "data_fails": {"kind": "server_error", "path": "/vehicle_data$"},
}
OTHER_FAULTS = (
    "token_expired_oauth",
    "refresh_token_used",
    "vehicle_asleep",
    "vehicle_offline",
    "wrong_region",
    "connection_refused",
)
CELLS = read_table(__doc__, COLUMNS, [*HTTP_FAULTS, *OTHER_FAULTS], COMMANDS)


@pytest.fixture
def scenario(cell: Cell) -> dict[str, Any]:
    command = COMMANDS.get(cell.op)
    return account_spec(vehicle_spec(**(command.car if command else {})))


@pytest.fixture(autouse=True)
def instant_wake_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """An offline car is given up on at the first look after the wake request.

    The integration's own limit is a minute; the frozen clock would never get there by
    itself, and what the user sees does not depend on the length.
    """
    monkeypatch.setattr("custom_components.ev_charge_control.tesla.TESLA_WAKE_TIMEOUT", 0.0)


class Tesla(MatrixWorld):
    """One cell's world: the entry, the fault, the user's actions and the checks."""

    api = "tesla"
    vehicle_id = VIN

    def __init__(
        self,
        hass: HomeAssistant,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        outage: Outage,
        cell: Cell,
        entry: MockConfigEntry,
        sign_in: Callable[[str], Awaitable[ConfigFlowResult]] | None = None,
    ) -> None:
        driver = Driver(hass, freezer, sim, timeout=DEFAULT_TIMEOUT, sim_time=False)
        super().__init__(hass, sim, outage, cell, entry, driver)
        self._sign_in = sign_in

    # ----------------------------------------------------------------- faults
    async def inject(self) -> None:
        fault = self.cell.fault
        if fault in HTTP_FAULTS:
            await self.sim.fault(**HTTP_FAULTS[fault])
        elif fault == "token_expired_oauth":
            await self.sim.call("POST", "/sim/tokens/expire", {})
        elif fault == "refresh_token_used":
            await self.sim.call("POST", "/sim/tokens/revoke", {})
            await self.sim.call("POST", "/sim/tokens/expire", {})
        elif fault == "vehicle_asleep":
            await self.sim.vehicle(action="state", state="asleep")
        elif fault == "vehicle_offline":
            await self.sim.vehicle(action="state", state="offline")
        elif fault == "wrong_region":
            await self.sim.call("POST", f"/sim/accounts/{ACCOUNT_ID}", {"region": "eu"})
        else:
            assert fault == "connection_refused"
            await self.outage.begin()

    async def clear(self) -> None:
        """The fault goes away (an expired token or a moved account stay: they are handled)."""
        fault = self.cell.fault
        if fault in HTTP_FAULTS:
            assert await self.sim.call("DELETE", "/sim/faults") == []
        elif fault in ("vehicle_asleep", "vehicle_offline"):
            await self.sim.vehicle(action="state", state="online")
        elif fault == "connection_refused":
            await self.outage.end()

    # ---------------------------------------------------------------- helpers
    def assert_available(self) -> None:
        assert_available(self.hass, self.entry)

    def assert_unavailable(self) -> None:
        assert_available(self.hass, self.entry, available=False)

    @override
    async def submit_reauth(self, flow_id: str) -> ConfigFlowResult:
        if self._sign_in is not None:
            return await self._sign_in(flow_id)
        return await self.hass.config_entries.flow.async_configure(flow_id, {CONF_ACCESS_TOKEN: ACCESS_TOKEN})

    async def poll_again(self) -> None:
        """The next scheduled poll works: entities available, values known."""
        await self.driver.wait(self.coordinator.update_interval or TESLA_STATE_INTERVAL)
        assert self.coordinator.last_update_success
        self.assert_available()
        assert entity_state(self.hass, "sensor.model_3_battery") == "77"

    # ------------------------------------------------------------- operations
    async def poll(self) -> None:
        await self.set_up()
        updated = entity_state(self.hass, "sensor.model_3_data_updated")
        await self.inject()
        await self.driver.wait(TESLA_STATE_INTERVAL)
        expect, coordinator = self.expect, self.coordinator
        self.assert_reauth()
        if expect.error:
            self.assert_unavailable()
            assert not coordinator.last_update_success
            if expect.reauth:
                assert isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
            assert_translated(coordinator.last_exception, expect.outcome)
        else:
            assert coordinator.last_update_success
            self.assert_available()
            assert entity_state(self.hass, "sensor.model_3_battery") == "77"
            awake = entity_state(self.hass, "binary_sensor.model_3_awake")
            if expect.outcome == "kept":
                assert entity_state(self.hass, "sensor.model_3_data_updated") == updated
                if self.cell.fault == "rate_limit":
                    assert coordinator.update_interval == timedelta(seconds=30)  # Retry-After
                else:
                    assert awake == "off"
            else:
                assert expect.outcome == "ok"
                assert awake == "on"
        await self.clear()
        if expect.reauth:
            await self.complete_reauth()
        await self.poll_again()
        assert entity_state(self.hass, "binary_sensor.model_3_awake") == "on"
        assert self.coordinator.update_interval == TESLA_STATE_INTERVAL

    async def setup(self) -> None:
        await self.inject()
        await self.set_up()
        expect, entry = self.expect, self.entry
        self.assert_reauth()
        if expect.outcome == "unavailable":
            assert entry.state is ConfigEntryState.LOADED
            self.assert_unavailable()
            assert not self.coordinator.last_update_success
        elif not expect.error:
            assert entry.state is ConfigEntryState.LOADED
            self.assert_available()
        else:
            retried = ConfigEntryState.SETUP_ERROR if expect.reauth else ConfigEntryState.SETUP_RETRY
            assert entry.state is retried
            assert entry.error_reason_translation_key == expect.outcome
            assert_translated(setup_error(entry), expect.outcome)
        await self.clear()
        if expect.reauth:
            await self.complete_reauth()
        elif expect.error:
            await self.driver.wait(timedelta(minutes=1))  # the first retry comes after ~10 s
        assert entry.state is ConfigEntryState.LOADED
        await self.poll_again()

    async def reauth(self) -> None:
        result = await self.entry.start_reauth_flow(self.hass)
        assert result["type"] is FlowResultType.FORM
        await self.inject()
        result = await self.driver.run(self.submit_reauth(result["flow_id"]))
        await self.driver.settle()
        expect = self.expect
        if expect.error:
            assert result["type"] is FlowResultType.FORM, result
            assert result["errors"] == {"base": expect.outcome}
            assert_form_error(expect.outcome)
            assert self.entry.state is ConfigEntryState.NOT_LOADED
            await self.clear()
            result = await self.driver.run(self.submit_reauth(result["flow_id"]))
        else:
            await self.clear()
        assert result["type"] is FlowResultType.ABORT, result
        assert result["reason"] == "reauth_successful"
        await self.driver.settle()
        assert self.entry.state is ConfigEntryState.LOADED
        await self.poll_again()

    def carried_out(self, command: Command) -> bool:
        self.sim.world.sync()
        return command.done(self.sim.world.vehicles[VIN])

    async def command(self) -> None:
        command = COMMANDS[self.cell.op]
        await self.set_up()
        if command.entity is not None:
            assert entity_state(self.hass, command.entity) == command.before
        assert not self.carried_out(command)
        await self.inject()
        seq = self.sim.world.recorder.last_seq
        err = await self.attempt(command)
        done = self.requests_since(seq)
        sent = sum("/command/" in r["path"] for r in done)
        expect = self.expect
        assert (sent, int(self.carried_out(command))) == (expect.sent, expect.took), done
        wakes = sum(r["path"].endswith("/wake_up") for r in done)
        assert wakes == (1 if expect.outcome in ("wake", "wake_timeout") else 0)
        refreshes = sum(r["path"] == "/oauth2/v3/token" for r in done)
        assert refreshes == (
            1 if expect.outcome == "refresh" or self.cell.fault == "refresh_token_used" else 0
        )
        self.assert_reauth()
        self.assert_available()
        if expect.error:
            assert_translated(err, expect.outcome)
            if command.entity is not None and expect.took:
                # It reached the car, but no answer said so: the car is asked again
                # after the confirmation delay, not at the next idle poll.
                await self.driver.wait(CONFIRM_DELAY + timedelta(seconds=1))
                assert entity_state(self.hass, command.entity) == command.after
            elif command.entity is not None:
                assert entity_state(self.hass, command.entity) == command.before  # the real state
        else:
            assert err is None, repr(err)
            if command.entity is not None:
                assert entity_state(self.hass, command.entity) == command.after
        await self.clear()
        if expect.reauth:
            await self.complete_reauth()
        await self.poll_again()
        if expect.error and not expect.took:
            # Sent again by the user: once, and the car carries it out.
            seq = self.sim.world.recorder.last_seq
            assert await self.attempt(command) is None
            again = [r for r in self.requests_since(seq) if "/command/" in r["path"]]
            assert [r["status"] for r in again] == [200]
        assert self.carried_out(command)
        if command.entity is not None:
            assert entity_state(self.hass, command.entity) == command.after
        if self.cell.fault == "signing_required":
            # The repair goes once commands work again.
            issues = ir.async_get(self.hass).issues
            assert not [key for key in issues if key[1].startswith(ISSUE_SIGNING_NOT_SET_UP)]

    async def attempt(self, command: Command) -> BaseException | None:
        """The user's action, through the coalescing window for a number."""
        task = self.hass.async_create_task(command.call(self.hass))
        if command.window:
            assert command.entity is not None
            entity, value = command.entity, command.after
            await until(lambda: entity_state(self.hass, entity) == value, "the number's pending value")
            self.driver.move(timedelta(seconds=COALESCE_DELAY + 0.1))
        return await self.driver.attempt(task)

    async def run(self) -> None:
        op = self.cell.op
        if op in COMMANDS:
            await self.command()
        else:
            await getattr(self, op)()
        fault = self.cell.fault
        token_requests = [r["status"] for r in self.requests_since(0) if r["path"] == "/oauth2/v3/token"]
        if fault == "token_expired_oauth":
            assert token_requests == [200]  # one refresh, its rotation kept
        elif fault == "refresh_token_used":
            # One refused refresh, then the sign-in's code exchange (the reauth form
            # signs in before anything needs a refresh).
            assert token_requests == ([200] if op == "reauth" else [401, 200])
        else:
            assert token_requests == []
        if fault == "wrong_region":
            assert self.entry.data[CONF_API_URL] == f"{self.sim.url}/eu"  # followed and kept


def reauth_by_signing_in(
    hass: HomeAssistant, sim: SimulatorHandle, hass_client_no_auth: ClientFactory
) -> Callable[[str], Awaitable[ConfigFlowResult]]:
    """A reauth flow as the user completes it: confirm, sign in at Tesla, come back."""

    async def sign_in(flow_id: str) -> ConfigFlowResult:
        result = await hass.config_entries.flow.async_configure(flow_id, {})
        assert result["type"] is FlowResultType.EXTERNAL_STEP, result
        async with sim.admin.get(result["url"], allow_redirects=False) as response:
            assert response.status == 302
            back = URL(response.headers["Location"])
        client = await hass_client_no_auth()
        answer = await client.get(
            "/auth/external/callback", params={"code": back.query["code"], "state": back.query["state"]}
        )
        assert answer.status == 200
        return await hass.config_entries.flow.async_configure(flow_id)

    return sign_in


def _token_entry(hass: HomeAssistant, sim: SimulatorHandle) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="owner@example.com",
        unique_id=ACCOUNT_ID,
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            CONF_API_URL: sim.url,
            CONF_ACCESS_TOKEN: ACCESS_TOKEN,
            CONF_VEHICLES: [VIN],
            CONF_KNOWN_VEHICLES: [VIN],
        },
    )
    entry.add_to_hass(hass)
    return entry


def _assert_clean_log(caplog: pytest.LogCaptureFixture) -> None:
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize("cell", [c for c in CELLS if c.fault not in OAUTH_ROWS], ids=str)
async def test_token_entry(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
    cell: Cell,
) -> None:
    await Tesla(hass, sim, freezer, outage, cell, _token_entry(hass, sim)).run()
    _assert_clean_log(caplog)


@pytest.mark.usefixtures("current_request_with_host")
@pytest.mark.parametrize("cell", [c for c in CELLS if c.fault in OAUTH_ROWS], ids=str)
async def test_oauth_entry(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    cell: Cell,
) -> None:
    entry = await add_oauth_entry(hass, sim)
    sign_in = reauth_by_signing_in(hass, sim, hass_client_no_auth)
    await Tesla(hass, sim, freezer, outage, cell, entry, sign_in).run()
    _assert_clean_log(caplog)
