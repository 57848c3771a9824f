"""Fault matrix, re.alto: every fault against every operation, as the user meets it.

The table below is the test: ``read_table`` builds one test per cell from it.

| fault                 | poll                | setup               | reauth          | charging                | schedule                | cancel                    |
|-----------------------|---------------------|---------------------|-----------------|-------------------------|-------------------------|---------------------------|
| token_expired         | ok                  | ok                  | ok              | ok 2/1                  | ok 2/2                  | ok 2/2                    |
| credentials_refused   | !auth_failed+reauth | !auth_failed+reauth | !invalid_auth   | !auth_failed+reauth 1/0 | !auth_failed+reauth 1/0 | !auth_failed+reauth 0/0   |
| missing_scope         | ok                  | ok                  | ok              | !command_failed 1/0     | !command_failed 1/0     | !command_failed 1/0       |
| vehicle_offline       | kept                | ok                  | ok              | failed 1/1              | ok 1/2                  | ok 2/2                    |
| rate_limit            | kept                | !setup_failed       | !cannot_connect | !cooldown_active 1/0    | !cooldown_active 1/0    | !command_rate_limited 0/0 |
| server_error          | !server_error       | !setup_failed       | !cannot_connect | !server_error 1/0       | !server_error 1/0       | !server_error 0/0         |
| timeout               | !cannot_connect     | !setup_failed       | !cannot_connect | !cannot_connect 1/0     | !cannot_connect 1/0     | !cannot_connect 0/0       |
| connection_refused    | !cannot_connect     | !setup_failed       | !cannot_connect | !cannot_connect 0/0     | !cannot_connect 0/0     | !cannot_connect 0/0       |
| malformed             | !update_failed      | !setup_failed       | !cannot_connect | !command_failed 1/0     | !command_failed 1/0     | !command_failed 0/0       |
| reply_lost            | ok                  | ok                  | ok              | found 1/1               | found 1/2               | found 2/2                 |
| status_unreadable     | ok                  | ok                  | ok              | followed 1/1            | followed 1/2            | ok 2/2                    |
| cooldown_reject       | ok                  | ok                  | ok              | !cooldown_active 1/0    | !cooldown_active 1/0    | ok 2/2                    |
| cooldown_fail         | ok                  | ok                  | ok              | !cooldown_active 1/0    | !cooldown_active 1/1    | ok 2/2                    |
| cooldown_defer        | ok                  | ok                  | ok              | deferred 1/1            | deferred 1/2            | ok 2/2                    |
| command_failed        | ok                  | ok                  | ok              | failed 1/1              | failed 1/2              | ok 2/2                    |
| second_window_refused | —                   | —                   | —               | —                       | !cooldown_active 1/0    | —                         |
| same_window_twice     | —                   | —                   | —               | —                       | ok 1/0                  | —                         |

Columns (operations):

- **poll**: the scheduled refresh 10 minutes after a good set-up.
- **setup**: setting up the config entry.
- **reauth**: the reauthentication form's credential test (``reauth_realto``).
- **charging**: the charging switch turned on, and (a test of its own) off.
- **schedule**: the ``schedule_charging`` action, a window starting in 5 minutes.
- **cancel**: the ``cancel_scheduled_charging`` action, for a window scheduled earlier.

Rows (faults): ``token_expired`` (the platform expires the access tokens),
``credentials_refused`` (the tokens expire and the platform refuses the client
credentials), ``missing_scope`` (403 on creating and cancelling commands, as for a
Viewer), ``vehicle_offline`` (the EV stops reporting, commands fail as unreachable),
``rate_limit`` (429 with ``Retry-After: 30``), ``server_error`` (500) and ``malformed``
(truncated JSON) on every request, ``timeout`` (the simulator never answers; the
client's own 30 s timeout ends the request), ``connection_refused`` (the simulator's
server is stopped), ``cooldown_*`` (another app sent a command a moment ago, and the
platform enforces its 10-minute cooldown by refusing with 409, by failing the command,
or by deferring it), and ``command_failed`` (the platform accepts the command, which
then fails at the car: ``OemTimeout``).

Faults of one request among several: ``reply_lost`` (the platform carries out every
request that creates or cancels a command, and its answer never comes: the client's
timeout ends it), ``status_unreadable`` (readings answer, the followed command's
status gets a 500). Faults of windows, for ``schedule`` only:
``second_window_refused`` (another app's window starts when the user's ends; the
platform refuses the user's, 409) and ``same_window_twice`` (the user schedules the
window already scheduled, as an automation that runs twice does).

re.alto has no sleeping cars (the platform wakes them), no regions, no command signing
and no per-request billing, so those Tesla rows have no re.alto counterpart; nor does
``refresh_token_used`` (client credentials, no refresh token): ``credentials_refused``
is its analogue.

Cells, as in the Tesla matrix, plus:

- ``failed``: the platform accepted the command; following it shows ``Failed`` on the
  last-command sensor, with the platform's reason, and the switch returns to what the
  car reports.
- ``deferred``: the platform accepted the command for the end of the cooldown; it runs
  then.
- ``kept``: the poll succeeds without fresh readings (the EV is offline; a rate limit,
  asked again after ``Retry-After``); entities stay available with the last values.
- ``found``: the answer was lost, but the command(s) were looked up on the platform
  (or, for a cancel, read back) and are shown and followed: not sent again.
- ``followed``: the platform accepted the command; while its status cannot be read,
  polls keep the car available with fresh readings, and once it answers the command
  is followed to its end.
- ``n/m``: ``n`` requests carrying the command (creating, scheduling, or cancelling)
  reached the platform during the action, and ``m`` commands took effect: created and
  not failed, or canceled. A 429 on a command is the platform's cooldown (re.alto
  words it so), a 401 renews the token and sends once more, nothing else is retried.

A refused window changes no other window: in ``second_window_refused`` the other
app's window is still whole after the refusal (commands are canceled by id, never by
time). In ``same_window_twice`` the window scheduled first stands, once, and the
second request succeeds without a second window.

A charging window is two commands on the platform. In ``cooldown_fail``/``schedule``
the platform fails the start and keeps the stop; the integration cancels that stop and
tells the user the schedule was refused (``1/1``: the cancel took effect). Known gap,
kept visible in the table: in ``command_failed``/``schedule`` the start fails at the car
later and its stop stays, and can cut short a window the user schedules again. The
checks below require the window asked for last to be whole and to be the only start,
not that stray stops are gone.

Every cell also checks that nothing logged a traceback, and that it recovers without a
restart once the fault clears (faults removed, EV back online, server started again,
the cooldown over, or the reauth flow completed where one was asked for): the next poll
works, a failed set-up succeeds when it retries, a command or schedule that did not
take effect works when the user sends it again, and in the end exactly the commands
asked for took effect, once each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, override

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.api.realto import CommandType, RealtoClient, ScheduledCommand
from custom_components.ev_charge_control.api.realto.const import DEFAULT_TIMEOUT
from custom_components.ev_charge_control.const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_KNOWN_VEHICLES,
    DOMAIN,
)
from custom_components.ev_charge_control.realto import FOLLOW_INTERVAL, READING_INTERVAL

from ..helpers import (
    ENTITY_ID,
    REALTO_CLIENT_ID,
    REALTO_SECRET,
    SimulatorHandle,
    realto_entity_spec,
    realto_spec,
)
from .common import device_for, entity_state, realto_entry_data
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
)

SWITCH = "switch.id_4_charging"
LAST = "sensor.id_4_last_command"
COMMANDS = ("charging_on", "charging_off", "schedule_charging", "cancel_scheduled_charging")
COLUMNS = {
    "poll": ("poll",),
    "setup": ("setup",),
    "reauth": ("reauth",),
    "charging": ("charging_on", "charging_off"),
    "schedule": ("schedule_charging",),
    "cancel": ("cancel_scheduled_charging",),
}
PROBLEM = {"type": "https://tools.ietf.org/html/rfc9110", "traceId": "00-fault-matrix"}
HTTP_FAULTS: dict[str, list[dict[str, Any]]] = {
    "credentials_refused": [
        {
            "kind": "status",
            "path": "/v1/authentication$",
            "status": 401,
            "body": {
                **PROBLEM,
                "title": "Unauthorized",
                "status": 401,
                "detail": "Invalid client credentials.",
            },
        }
    ],
    "missing_scope": [
        {
            "kind": "status",
            "method": method,
            "path": path,
            "status": 403,
            "body": {
                **PROBLEM,
                "title": "Forbidden",
                "status": 403,
                "detail": "Viewers cannot send commands.",
            },
        }
        for method, path in (("POST", "/commands(/schedule)?$"), ("PATCH", "/cancel$"))
    ],
    "rate_limit": [{"kind": "rate_limit", "retry_after": 30}],
    "server_error": [
        {"kind": "server_error", "body": {**PROBLEM, "title": "Internal Server Error", "status": 500}}
    ],
    "timeout": [{"kind": "hang"}],
    "malformed": [{"kind": "malformed"}],
    "reply_lost": [
        {"kind": "drop_reply", "method": method, "path": path}
        for method, path in (("POST", "/commands(/schedule)?$"), ("PATCH", "/cancel$"))
    ],
    "status_unreadable": [
        {
            "kind": "server_error",
            "method": "GET",
            "path": "/commands/[^/]+$",
            "body": {**PROBLEM, "title": "Internal Server Error", "status": 500},
        }
    ],
}
COOLDOWNS = {"cooldown_reject": "reject", "cooldown_fail": "fail", "cooldown_defer": "defer"}
OTHER_FAULTS = (
    "token_expired",
    "vehicle_offline",
    "connection_refused",
    "command_failed",
    "second_window_refused",
    "same_window_twice",
)
CELLS = read_table(__doc__, COLUMNS, [*HTTP_FAULTS, *COOLDOWNS, *OTHER_FAULTS], COMMANDS)
# What the action sends, and what takes effect, when the user repeats it after the fault.
AGAIN = {
    "charging_on": (1, 1),
    "charging_off": (1, 1),
    "schedule_charging": (1, 2),
    "cancel_scheduled_charging": (2, 2),
}
# After a fault clears: the next poll comes, and any cooldown is over.
RECOVERY = READING_INTERVAL + timedelta(seconds=1)


@pytest.fixture
def scenario(cell: Cell) -> dict[str, Any]:
    return realto_spec(realto_entity_spec(charging=cell.op == "charging_off"))


class Realto(MatrixWorld):
    """One cell's world: the entry, the fault, the user's actions and the checks."""

    api = "realto"
    vehicle_id = ENTITY_ID

    def __init__(
        self,
        hass: HomeAssistant,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
        outage: Outage,
        cell: Cell,
    ) -> None:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"re.alto ({REALTO_CLIENT_ID})",
            unique_id=REALTO_CLIENT_ID,
            data={**realto_entry_data(sim), CONF_KNOWN_VEHICLES: [ENTITY_ID]},
        )
        entry.add_to_hass(hass)
        driver = Driver(hass, freezer, sim, timeout=DEFAULT_TIMEOUT, sim_time=True)
        super().__init__(hass, sim, outage, cell, entry, driver)
        self.others: set[str] = set()
        """Commands another app sent."""
        self.created: set[str] = set()
        """Commands the user's last action created."""
        self.window = self.window_from(dt_util.utcnow())
        """The window the schedule action asks for."""

    # ----------------------------------------------------------------- faults
    async def inject(self) -> None:
        fault = self.cell.fault
        sim = self.sim
        if fault in HTTP_FAULTS:
            for spec in HTTP_FAULTS[fault]:
                await sim.fault(api="realto", **spec)
            if fault == "credentials_refused":
                await sim.call("POST", "/sim/realto/tokens/expire", {})
        elif fault in COOLDOWNS:
            await sim.call("POST", "/sim/realto/cooldown", {"mode": COOLDOWNS[fault]})
            # Another app commands the EV (to stay as it is) a moment before the user.
            other = self.other_app()
            charging = self.cell.op == "charging_off"
            kind = CommandType.START_CHARGING if charging else CommandType.STOP_CHARGING
            self.others.add((await other.trigger_command(ENTITY_ID, kind)).id)
        elif fault == "token_expired":
            await sim.call("POST", "/sim/realto/tokens/expire", {})
        elif fault == "vehicle_offline":
            await sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"online": False})
        elif fault == "command_failed":
            failure = {"stage": "confirm", "title": "OemTimeout", "description": "The car did not answer."}
            await sim.call("POST", "/sim/realto/failures", {**failure, "count": 1})
        elif fault == "second_window_refused":
            # Another app's window starts when the user's ends.
            self.window = self.window_from(dt_util.utcnow())
            end = self.window[1]
            items = [
                ScheduledCommand(trigger_time=end, type=CommandType.START_CHARGING),
                ScheduledCommand(trigger_time=end + timedelta(hours=1), type=CommandType.STOP_CHARGING),
            ]
            batch = await self.other_app().schedule_commands(ENTITY_ID, items)
            self.others.update(c.id for c in batch.commands)
        elif fault == "same_window_twice":
            self.window = self.window_from(dt_util.utcnow())
            await self.schedule(*self.window)
            assert [c.status for c in self.ours()] == ["Pending", "Pending"]
        else:
            assert fault == "connection_refused"
            await self.outage.begin()

    async def clear(self) -> None:
        """The fault goes away (an expired token and a cooldown pass by themselves)."""
        fault = self.cell.fault
        if fault in HTTP_FAULTS:
            assert await self.sim.call("DELETE", "/sim/faults") == []
        elif fault == "vehicle_offline":
            await self.sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"online": True})
        elif fault == "command_failed":
            await self.sim.call("DELETE", "/sim/realto/failures")
        elif fault == "connection_refused":
            await self.outage.end()
        elif fault == "second_window_refused":
            for command_id in self.others:  # the other app gives its window up
                await self.other_app().cancel_command(ENTITY_ID, command_id)

    # ---------------------------------------------------------------- helpers
    def other_app(self) -> RealtoClient:
        """Another app of the same account on the platform."""
        return RealtoClient(self.sim.admin, REALTO_CLIENT_ID, REALTO_SECRET, base_url=f"{self.sim.url}/api")

    @staticmethod
    def window_from(now: datetime) -> tuple[datetime, datetime]:
        """A window starting in 5 minutes, an hour long (whole seconds, as the platform keeps them)."""
        start = (now + timedelta(minutes=5)).replace(microsecond=0)
        return start, start + timedelta(hours=1)

    def others_status(self) -> dict[str, str]:
        self.sim.world.sync()
        realto = self.sim.world.realto
        assert realto is not None
        return {command_id: realto.commands[command_id].status for command_id in self.others}

    def ours(self) -> list[Any]:
        """The commands this integration created, oldest first."""
        self.sim.world.sync()
        realto = self.sim.world.realto
        assert realto is not None
        return sorted(
            (c for c in realto.commands.values() if c.command_id not in self.others), key=lambda c: c.seq
        )

    @override
    async def submit_reauth(self, flow_id: str) -> ConfigFlowResult:
        credentials = {CONF_CLIENT_ID: REALTO_CLIENT_ID, CONF_CLIENT_SECRET: REALTO_SECRET}
        return await self.hass.config_entries.flow.async_configure(flow_id, credentials)

    async def recover(self) -> None:
        """The fault clears; then the next poll works."""
        await self.clear()
        if self.expect.reauth:
            await self.complete_reauth()
        await self.driver.wait(RECOVERY)
        assert self.coordinator.last_update_success
        assert_available(self.hass, self.entry)
        assert entity_state(self.hass, "sensor.id_4_battery").isdigit()

    async def follow(self) -> None:
        """Long enough for a command that runs now to end, and be seen to."""
        for _ in range(2):
            await self.driver.wait(FOLLOW_INTERVAL)

    # ------------------------------------------------------------- operations
    async def poll(self) -> None:
        await self.set_up()
        updated = entity_state(self.hass, "sensor.id_4_data_updated")
        await self.inject()
        await self.driver.wait(READING_INTERVAL)
        expect, coordinator = self.expect, self.coordinator
        self.assert_reauth()
        if expect.error:
            assert_available(self.hass, self.entry, available=False)
            assert not coordinator.last_update_success
            if expect.reauth:
                assert isinstance(coordinator.last_exception, ConfigEntryAuthFailed)
            assert_translated(coordinator.last_exception, expect.outcome)
        else:
            assert coordinator.last_update_success
            assert_available(self.hass, self.entry)
            assert entity_state(self.hass, "sensor.id_4_battery") == "50"
            fresh = entity_state(self.hass, "sensor.id_4_data_updated") != updated
            assert fresh is (expect.outcome == "ok"), expect
            if self.cell.fault == "rate_limit":
                assert coordinator.update_interval == timedelta(seconds=30)  # Retry-After
        await self.recover()
        assert self.coordinator.update_interval == READING_INTERVAL

    async def setup(self) -> None:
        await self.inject()
        await self.set_up()
        expect, entry = self.expect, self.entry
        self.assert_reauth()
        if not expect.error:
            assert entry.state is ConfigEntryState.LOADED
            assert_available(self.hass, entry)
        else:
            retried = ConfigEntryState.SETUP_ERROR if expect.reauth else ConfigEntryState.SETUP_RETRY
            assert entry.state is retried
            assert_translated(setup_error(entry), expect.outcome)
        await self.recover()

    async def reauth(self) -> None:
        result = await self.entry.start_reauth_flow(self.hass)
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "reauth_realto"
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
        await self.driver.wait(RECOVERY)
        assert self.coordinator.last_update_success
        assert_available(self.hass, self.entry)

    async def action(self) -> tuple[BaseException | None, int, int]:
        """The user's action: its error, the requests carrying it, what took effect."""
        op = self.cell.op
        before = {c.command_id: c.status for c in self.ours()}
        seq = self.sim.world.recorder.last_seq
        if op in ("charging_on", "charging_off"):
            service = "turn_on" if op == "charging_on" else "turn_off"
            call = self.hass.services.async_call("switch", service, {"entity_id": SWITCH}, blocking=True)
            carries = ("POST", "/commands")
        elif op == "schedule_charging":
            if self.window[0] <= dt_util.utcnow():
                self.window = self.window_from(dt_util.utcnow())  # asked again, later
            call = self.schedule(*self.window)
            carries = ("POST", "/commands/schedule")
        else:
            call = self.hass.services.async_call(
                DOMAIN, "cancel_scheduled_charging", {"device_id": self.device_id}, blocking=True
            )
            carries = ("PATCH", "/cancel")
        err = await self.driver.attempt(call)
        method, suffix = carries
        sent = [r for r in self.requests_since(seq) if r["method"] == method and r["path"].endswith(suffix)]
        self.created = {c.command_id for c in self.ours() if c.command_id not in before}
        if op == "cancel_scheduled_charging":
            took = sum(c.status == "Canceled" and before.get(c.command_id) != "Canceled" for c in self.ours())
        else:
            took = sum(c.command_id in self.created and c.status != "Failed" for c in self.ours())
        return err, len(sent), took

    @property
    def device_id(self) -> str:
        device = device_for(self.hass, (DOMAIN, ENTITY_ID))
        assert device is not None
        return device.id

    async def schedule(self, start: datetime, end: datetime) -> None:
        data = {"device_id": self.device_id, "start": start.isoformat(), "end": end.isoformat()}
        await self.hass.services.async_call(DOMAIN, "schedule_charging", data, blocking=True)

    async def command(self) -> None:
        op = self.cell.op
        await self.set_up()
        if op == "cancel_scheduled_charging":
            start = dt_util.utcnow() + timedelta(hours=2)
            await self.schedule(start, start + timedelta(hours=1))
            assert [c.status for c in self.ours()] == ["Pending", "Pending"]
        switch = {"charging_on": ("off", "on"), "charging_off": ("on", "off")}.get(op)
        if switch:
            assert entity_state(self.hass, SWITCH) == switch[0]
        await self.inject()
        first = {c.command_id for c in self.ours()}
        err, sent, took = await self.action()
        expect = self.expect
        assert (sent, took) == (expect.sent, expect.took), (err, self.ours())
        # Whatever happened, no command of another app was canceled by it.
        assert "Canceled" not in self.others_status().values(), self.others_status()
        if self.cell.fault == "same_window_twice":
            assert not self.created
            self.created = first  # the window asked for is the one scheduled first
        self.assert_reauth()
        assert_available(self.hass, self.entry)
        if expect.error:
            assert_translated(err, expect.outcome)
            if switch:
                assert entity_state(self.hass, SWITCH) == switch[0]  # the real state
        else:
            assert err is None, repr(err)
            if switch:
                assert entity_state(self.hass, SWITCH) == switch[1]  # as asked, until it ends
            last = {"cancel_scheduled_charging": "canceled"}.get(op, "pending")
            if expect.outcome == "found" and switch:
                last = "succeeded"  # it ran while its answer was awaited
            assert entity_state(self.hass, LAST) == last
        if expect.outcome == "deferred":
            attributes = self.hass.states.get(LAST).attributes  # type: ignore[union-attr]
            moved = dt_util.parse_datetime(attributes["trigger_time"])
            assert moved is not None
            assert moved >= dt_util.utcnow() + timedelta(minutes=9)  # the cooldown's end
        if expect.outcome == "followed":
            # The status cannot be read: the readings go on, the command stays as it was.
            updated = entity_state(self.hass, "sensor.id_4_data_updated")
            await self.driver.wait(READING_INTERVAL)
            assert self.coordinator.last_update_success
            assert_available(self.hass, self.entry)
            assert entity_state(self.hass, "sensor.id_4_data_updated") != updated
            assert entity_state(self.hass, LAST) == "pending"
            if switch:
                assert entity_state(self.hass, SWITCH) == switch[1]
        if expect.outcome == "failed":
            if op == "schedule_charging":
                # The window opens in 5 minutes; the next poll, at most a reading
                # interval on, sees how its start went.
                await self.driver.wait(READING_INTERVAL)
            await self.follow()
            assert entity_state(self.hass, LAST) == "failed"
            attributes = self.hass.states.get(LAST).attributes  # type: ignore[union-attr]
            assert attributes["error_title"]
            if switch:
                assert entity_state(self.hass, SWITCH) == switch[0]  # what the car reports
        await self.recover()
        if expect.error or expect.outcome == "failed":
            # Sent again by the user, once: now it takes effect.
            err, sent, took = await self.action()
            assert err is None, repr(err)
            assert (sent, took) == AGAIN[op]
        await self.follow()
        live = [c for c in self.ours() if c.status not in ("Failed", "Canceled")]
        if op == "cancel_scheduled_charging":
            assert live == []
            assert [c.status for c in self.ours()] == ["Canceled", "Canceled"]
        elif op == "schedule_charging":
            # The window asked for last is whole, and no other start is left.
            window = [c for c in live if c.command_id in self.created]
            assert [c.type for c in window] == ["StartCharging", "StopCharging"], self.ours()
            assert sum(c.type == "StartCharging" for c in live) == 1, self.ours()
        else:
            assert len(live) == 1, self.ours()
            assert live[0].status == "Succeeded"
            assert switch is not None
            assert entity_state(self.hass, SWITCH) == switch[1]
            assert entity_state(self.hass, LAST) == "succeeded"

    async def run(self) -> None:
        op = self.cell.op
        if op in COMMANDS:
            await self.command()
        else:
            await getattr(self, op)()


@pytest.mark.parametrize("cell", CELLS, ids=str)
async def test_realto(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
    cell: Cell,
) -> None:
    await Realto(hass, sim, freezer, outage, cell).run()
    assert tracebacks(caplog.records) == []
