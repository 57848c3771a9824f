"""The machinery behind the fault matrix (``test_fault_matrix_*.py``).

Each matrix module writes its expected outcomes as a table in its docstring, and
``read_table`` turns that very table into the test parameters: the table a reader sees
is the one the tests run, so the two cannot drift apart.

Time is Home Assistant's frozen test clock, moved by the tests.  A request the
simulator hangs ends when the client's own timeout passes on that clock (``Driver``
moves it then), so the real timeouts are exercised without waiting for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
import json
import logging
from pathlib import Path
import re
from typing import Any

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigEntryState, ConfigFlowResult
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_charge_control.const import DOMAIN
from simulator import create_app

from ..helpers import SimulatorHandle

TRANSLATIONS: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations" / "en.json").read_text()
)
NOT_APPLICABLE = ("—", "-")
_CELL = re.compile(
    r"^(?P<error>!)?(?P<outcome>[a-z_]+)(?P<reauth>\+reauth)?(?: (?P<sent>\d+)/(?P<took>\d+))?$"
)


# ------------------------------------------------------------------------ the table
@dataclass(frozen=True, slots=True)
class Expect:
    """One cell of a matrix table."""

    outcome: str
    """An error's translation key when ``error``, else a word of the table's legend."""
    error: bool = False
    reauth: bool = False
    """A reauthentication flow starts."""
    sent: int | None = None
    """Command requests that reached the API during the user's action."""
    took: int | None = None
    """Commands that took effect (accepted, or canceled for a cancel)."""

    @classmethod
    def parse(cls, text: str) -> Expect:
        match = _CELL.match(text)
        if match is None:
            raise ValueError(f"not a matrix cell: {text!r}")
        sent, took = match["sent"], match["took"]
        return cls(
            outcome=match["outcome"],
            error=match["error"] is not None,
            reauth=match["reauth"] is not None,
            sent=None if sent is None else int(sent),
            took=None if took is None else int(took),
        )


@dataclass(frozen=True, slots=True)
class Cell:
    """One test: a fault, an operation, and what should happen."""

    fault: str
    op: str
    expect: Expect

    def __str__(self) -> str:
        return f"{self.fault}-{self.op}"


def read_table(
    doc: str | None,
    columns: Mapping[str, Sequence[str]],
    faults: Collection[str],
    commands: Collection[str],
) -> list[Cell]:
    """The cells of the first Markdown table in ``doc``.

    ``columns`` maps each column heading to the operations it stands for; ``faults``
    are the rows there must be, each once; ``commands`` are the operations whose cells
    must say how many command requests went out (and only those).
    """
    lines = [line.strip() for line in (doc or "").splitlines() if line.strip().startswith("|")]
    rows = [[part.strip() for part in line.strip("|").split("|")] for line in lines]
    header, _rule, *body = rows
    if header[0] != "fault" or any(name not in columns for name in header[1:]):
        raise ValueError(f"unexpected table heading: {header}")
    seen = [row[0] for row in body]
    if sorted(seen) != sorted(faults):
        raise ValueError(f"the table's rows {seen} are not the faults {sorted(faults)}")
    cells: list[Cell] = []
    for fault, *values in body:
        for name, value in zip(header[1:], values, strict=True):
            if value in NOT_APPLICABLE:
                continue
            expect = Expect.parse(value)
            for op in columns[name]:
                if (expect.sent is not None) != (op in commands):
                    raise ValueError(f"{fault}/{op}: request counts belong to commands only: {value!r}")
                cells.append(Cell(fault, op, expect))
    return cells


# --------------------------------------------------------------------------- checks
def tracebacks(records: Sequence[logging.LogRecord]) -> list[str]:
    """Log records that carry a traceback.

    Any record at INFO or above with an exception from the integration or Home
    Assistant, any other at WARNING or above (asyncio's "exception was never
    retrieved"), and any error whose text holds one.  DEBUG records are left out: Home
    Assistant 2026 logs a handled failure's "Full exception"/"Full error" at DEBUG with
    its traceback, next to the warning it already shows the user; asyncio's debug notes
    about writing to a closed socket are not ours to judge either.
    """

    def ours(record: logging.LogRecord) -> bool:
        return record.name.startswith(("custom_components.", "homeassistant"))

    return [
        f"{record.name} {record.levelname}: {record.getMessage()}"
        for record in records
        if record.levelno >= logging.INFO
        and (
            (
                ((record.exc_info and record.exc_info[0] is not None) or record.exc_text)
                and (ours(record) or record.levelno >= logging.WARNING)
            )
            or (record.levelno >= logging.ERROR and "Traceback" in record.getMessage())
        )
    ]


def _fields(template: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", template))


def assert_translated(err: BaseException | None, key: str) -> None:
    """``err`` is the integration's translated error ``key``, with every placeholder filled."""
    assert isinstance(err, HomeAssistantError), f"expected {key}, got {err!r}"
    assert err.translation_domain == DOMAIN, repr(err)
    assert err.translation_key == key, f"expected {key}, got {err.translation_key} ({err!r})"
    template = TRANSLATIONS["exceptions"][key]["message"]
    assert _fields(template) <= set(err.translation_placeholders or {}), (
        template,
        err.translation_placeholders,
    )


def assert_form_error(key: str) -> None:
    """A config flow error the form can show translated."""
    assert key in TRANSLATIONS["config"]["error"], key


def setup_error(entry: ConfigEntry) -> HomeAssistantError:
    """A failed set-up's error as Home Assistant keeps it, to check its translation."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=entry.error_reason_translation_key,
        translation_placeholders=entry.error_reason_translation_placeholders,
    )


def entity_states(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, str]:
    """Every entity of the entry that is in the state machine."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    states = {e.entity_id: hass.states.get(e.entity_id) for e in entries}
    return {entity_id: current.state for entity_id, current in states.items() if current is not None}


def assert_available(hass: HomeAssistant, entry: ConfigEntry, available: bool = True) -> None:
    """Every entity of the entry is available (or, with ``available=False``, none is)."""
    states = entity_states(hass, entry)
    assert states
    if available:
        assert STATE_UNAVAILABLE not in states.values(), states
    else:
        assert set(states.values()) == {STATE_UNAVAILABLE}, states


def reauth_flows(hass: HomeAssistant, entry: ConfigEntry) -> list[dict[str, Any]]:
    return [
        dict(flow)
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH and flow["context"].get("entry_id") == entry.entry_id
    ]


# ------------------------------------------------------------------------ the clock
async def until(condition: Callable[[], bool], what: str = "the awaited event") -> None:
    """Let the event loop run (network included) until ``condition`` holds.

    Bounded by loop iterations, not by time: with the clock frozen, anything waiting on
    a timer can only go on when a test moves the clock.
    """
    for _ in range(200_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{what} did not happen")


class Driver:
    """Moves the clocks and runs user actions to their end.

    ``timeout`` is the API client's request timeout: when the simulator hangs a
    request or drops its answer, that much time passes on the frozen clock and the client gives up, as it
    would in real life.  ``sim_time`` moves the simulator's clock along with Home
    Assistant's (re.alto's cooldown and command lifecycle run on it).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        sim: SimulatorHandle,
        *,
        timeout: float,
        sim_time: bool,
    ) -> None:
        self.hass = hass
        self.freezer = freezer
        self.sim = sim
        self.timeout = timeout
        self.sim_time = sim_time

    def _hung(self) -> int:
        # A lost answer (``drop_reply``) waits for the client's timeout as a hung one does.
        return sum(f.hits for f in self.sim.world.faults.faults if f.kind in ("hang", "drop_reply"))

    def _unanswered_logged(self) -> int:
        return sum(1 for r in self.sim.world.recorder.since(0) if r["status"] == 0)

    def move(self, delta: timedelta) -> None:
        """Move the clock(s) and fire what is due, without waiting for it to finish."""
        self.freezer.tick(delta)
        if self.sim_time:
            self.sim.world.clock.advance(delta.total_seconds())
            self.sim.world.sync()
        async_fire_time_changed(self.hass)

    async def run[T](self, action: Awaitable[T]) -> T:
        """Await ``action``; each time it waits on a hung request, the timeout passes."""
        task = asyncio.ensure_future(action)
        seen = self._hung()
        while True:
            await until(lambda seen=seen: task.done() or self._hung() > seen, "the action's end")
            if task.done():
                return task.result()
            seen = self._hung()
            self.move(timedelta(seconds=self.timeout + 1))

    async def settle(self) -> None:
        """Home Assistant's pending work is done, and hung requests are logged as such."""
        await self.run(self.hass.async_block_till_done(wait_background_tasks=True))
        for _ in range(50):
            if self._unanswered_logged() >= self._hung():
                return
            # The simulator notices the client has gone at its next look, 50 ms on.
            self.move(timedelta(seconds=0.1))
            await until(lambda: self._unanswered_logged() >= self._hung(), "the hung request's end")
        raise AssertionError("a hung request never ended")

    async def wait(self, delta: timedelta) -> None:
        """Let ``delta`` pass: timers fire and what they start runs to its end."""
        self.move(delta)
        await self.settle()

    async def attempt(self, action: Awaitable[Any]) -> BaseException | None:
        """Run a user's action; its error, if any (never raised here)."""
        try:
            await self.run(action)
        except Exception as err:
            return err
        finally:
            await self.settle()
        return None


# ----------------------------------------------------------- connection refused
class Outage:
    """Stop the simulator's server (connections are refused) and start it again."""

    def __init__(self, sim: SimulatorHandle) -> None:
        self.sim = sim
        self.port: int | None = None
        self.started: list[TestServer] = []

    async def begin(self) -> None:
        self.port = self.sim.server.port
        await self.sim.server.close()

    async def end(self) -> None:
        assert self.port is not None
        server = TestServer(create_app(self.sim.world), host="127.0.0.1", port=self.port)
        await server.start_server()
        self.started.append(server)
        self.sim.server = server
        self.port = None

    async def close(self) -> None:
        for server in self.started:
            await server.close()


# ------------------------------------------------------------ a cell's world
class MatrixWorld:
    """What both providers' cells share: the entry, its coordinator, and reauth.

    Subclasses say which API's requests are theirs, which car they watch, and how the
    user answers a reauthentication.
    """

    api: str
    vehicle_id: str

    def __init__(
        self,
        hass: HomeAssistant,
        sim: SimulatorHandle,
        outage: Outage,
        cell: Cell,
        entry: ConfigEntry,
        driver: Driver,
    ) -> None:
        self.hass = hass
        self.sim = sim
        self.outage = outage
        self.cell = cell
        self.expect = cell.expect
        self.entry = entry
        self.driver = driver

    async def set_up(self) -> None:
        await self.driver.run(self.hass.config_entries.async_setup(self.entry.entry_id))
        await self.driver.settle()

    @property
    def coordinator(self) -> Any:
        return self.entry.runtime_data.coordinators[self.vehicle_id]

    def requests_since(self, seq: int) -> list[dict[str, Any]]:
        return [r for r in self.sim.world.recorder.since(seq) if r["api"] == self.api]

    def assert_reauth(self) -> None:
        assert bool(reauth_flows(self.hass, self.entry)) is self.expect.reauth

    async def submit_reauth(self, flow_id: str) -> ConfigFlowResult:
        raise NotImplementedError

    async def complete_reauth(self) -> None:
        """The user follows Home Assistant's request to sign in again."""
        [flow] = reauth_flows(self.hass, self.entry)
        result = await self.driver.run(self.submit_reauth(flow["flow_id"]))
        assert result["type"] is FlowResultType.ABORT, result
        assert result["reason"] == "reauth_successful"
        await self.driver.settle()
        assert self.entry.state is ConfigEntryState.LOADED
