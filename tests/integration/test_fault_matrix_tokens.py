"""Fault matrix, Tesla's token endpoint: a signed-in entry whose access token expired
meets a failing ``POST /oauth2/v3/token``.

The table below is the test: ``read_table`` builds one test per cell from it.

| fault               | poll                | setup               | command                   |
|---------------------|---------------------|---------------------|---------------------------|
| rate_limit          | kept                | !setup_failed       | !command_rate_limited 0/0 |
| request_timeout     | !cannot_connect     | !setup_failed       | !cannot_connect 0/0       |
| service_unavailable | !server_error       | !setup_failed       | !server_error 0/0         |
| timeout             | !cannot_connect     | !setup_failed       | !cannot_connect 0/0       |
| invalid_grant       | !auth_failed+reauth | !auth_failed+reauth | !auth_failed+reauth 0/0   |
| login_required      | !auth_failed+reauth | !auth_failed+reauth | !auth_failed+reauth 0/0   |

Columns (operations), each with the entry's access token expired, so that the first
request needs a refresh:

- **poll**: the scheduled refresh 5 minutes after a good set-up.
- **setup**: setting up the config entry.
- **command**: the charging switch turned on by the user (every command gets its
  token the same way; ``test_fault_matrix_tesla.py`` has them all).

Rows (faults), on every token request until cleared: ``rate_limit`` (429 with
``Retry-After: 30``), ``request_timeout`` (408), ``service_unavailable`` (503),
``timeout`` (no answer: the 30 s timeout ends the request), ``invalid_grant`` (400, the
refresh token is no good) and ``login_required`` (401, Tesla's answer to a spent one).

Cells, as in ``test_fault_matrix_tesla.py``:

- ``kept``: the poll succeeds without fresh values, entities stay available with the
  last ones; asked again after ``Retry-After``.
- ``!key``: fails with the translated error ``key``. A poll: the entities become
  unavailable with it. A set-up: the entry shows it and retries in the background. A
  command: the user gets it, and the entities stay available.
- ``+reauth``: Home Assistant asks to sign in again. Only a refused grant does: a rate
  limit, a timeout or a server failure leaves the refresh token unspent.
- ``n/m`` (commands): ``n`` command requests reached the API; ``m`` is 1 if the car
  carried the command out. No command leaves without a token.

Every cell also checks that nothing logged a traceback, and that it recovers once the
fault clears (or the user signed in again where asked): the next poll works, a failed
set-up succeeds when it retries, a failed command works when sent again, once.  And
the token endpoint was asked exactly twice: the failed refresh, then one that worked
(the retry with the unspent refresh token, or the new sign-in's code exchange), so no
refresh token was ever sent twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, override

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..helpers import SimulatorHandle
from .common import add_oauth_entry, entity_state
from .fault_matrix import Cell, Outage, assert_translated, read_table, tracebacks
from .test_fault_matrix_tesla import COMMANDS as TESLA_COMMANDS, Tesla, reauth_by_signing_in

ClientFactory = Callable[[], Awaitable[TestClient]]
TOKEN_PATH = "^/oauth2/v3/token$"
COMMANDS = {"charging_on": TESLA_COMMANDS["charging_on"]}
COLUMNS = {"poll": ("poll",), "setup": ("setup",), "command": tuple(COMMANDS)}
FAULTS: dict[str, tuple[dict[str, Any], int]] = {
    # fault -> (the simulator's fault, the status the token endpoint's log shows)
    "rate_limit": ({"kind": "rate_limit", "retry_after": 30}, 429),
    "request_timeout": ({"kind": "vehicle_unavailable"}, 408),
    "service_unavailable": ({"kind": "service_unavailable"}, 503),
    "timeout": ({"kind": "hang"}, 0),
    "invalid_grant": ({"kind": "status", "status": 400, "body": {"error": "invalid_grant"}}, 400),
    "login_required": (
        {
            "kind": "status",
            "status": 401,
            "body": {"error": "login_required", "error_description": "Login required"},
        },
        401,
    ),
}
CELLS = read_table(__doc__, COLUMNS, FAULTS, COMMANDS)


class TokenEndpoint(Tesla):
    """One cell: the signed-in entry, the token endpoint's fault, the checks."""

    @override
    async def inject(self) -> None:
        entry = self.entry
        token = {**entry.data["token"], "expires_at": 0}
        self.hass.config_entries.async_update_entry(entry, data={**entry.data, "token": token})
        await self.sim.fault(path=TOKEN_PATH, **FAULTS[self.cell.fault][0])

    @override
    async def clear(self) -> None:
        assert await self.sim.call("DELETE", "/sim/faults") == []

    @override
    async def command(self) -> None:
        command = COMMANDS[self.cell.op]
        assert command.entity is not None
        await self.set_up()
        await self.inject()
        seq = self.sim.world.recorder.last_seq
        err = await self.attempt(command)
        done = self.requests_since(seq)
        expect = self.expect
        sent = sum("/command/" in r["path"] for r in done)
        assert (sent, int(self.carried_out(command))) == (expect.sent, expect.took), done
        self.assert_reauth()
        self.assert_available()
        assert_translated(err, expect.outcome)
        assert entity_state(self.hass, command.entity) == command.before
        await self.clear()
        if expect.reauth:
            await self.complete_reauth()
        await self.poll_again()
        seq = self.sim.world.recorder.last_seq
        assert await self.attempt(command) is None
        again = [r for r in self.requests_since(seq) if "/command/" in r["path"]]
        assert [r["status"] for r in again] == [200]
        assert self.carried_out(command)
        assert entity_state(self.hass, command.entity) == command.after

    @override
    async def run(self) -> None:
        op = self.cell.op
        if op in COMMANDS:
            await self.command()
        else:
            await getattr(self, op)()
        token_requests = [r["status"] for r in self.requests_since(0) if r["path"] == "/oauth2/v3/token"]
        assert token_requests == [FAULTS[self.cell.fault][1], 200]


@pytest.mark.usefixtures("current_request_with_host")
@pytest.mark.parametrize("cell", CELLS, ids=str)
async def test_token_endpoint(
    hass: HomeAssistant,
    sim: SimulatorHandle,
    freezer: FrozenDateTimeFactory,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
    oauth_server: SimulatorHandle,
    hass_client_no_auth: ClientFactory,
    cell: Cell,
) -> None:
    entry: MockConfigEntry = await add_oauth_entry(hass, sim)
    sign_in = reauth_by_signing_in(hass, sim, hass_client_no_auth)
    await TokenEndpoint(hass, sim, freezer, outage, cell, entry, sign_in).run()
    assert tracebacks(caplog.records) == []
