"""Running a policy through a day on the simulated clock.

Our integration runs inside Home Assistant's test harness: its clock is frozen and
moved by ``freezer.tick``, and the simulator's ``FakeClock`` is moved by the same
amount at the same moment.  Time advances from one event to the next: the next
minute (when the car is sampled), the next automation request, or the next timer
Home Assistant has scheduled (a coordinator's poll, the numbers' coalescing window,
a confirmation refresh), so every timer fires exactly when it is due.

The anchors run in the same event loop against their own world on their own
``FakeClock``, stepped from event to event in the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import time
from typing import Any, Protocol

import aiohttp
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import DATA_COMPONENT as NUMBER_DATA
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed_exact

from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_TESLA,
)
from custom_components.ev_charge_control.coordinator import VehicleCoordinator
from custom_components.ev_charge_control.number import EVNumber
from simulator import FakeClock, World, build_world, create_app

from .anchors import ANCHORS, Anchor, Api
from .metrics import Tap, day_result, restart_effect
from .scenario import CHARGE_LIMIT, CHARGING, CHARGING_AMPS, BenchDay, Request
from .signing import add_signing_entry, stop_home_assistant

TOKEN = "bench-access-token"  # noqa: S105 - the scenarios' fixed simulator token
RESULTS = Path(os.environ.get("BENCH_RESULTS", Path(__file__).parent / ".results"))
STUCK_AFTER = 20.0
_ENTITY = {CHARGE_LIMIT: ("number", "charge_limit"), CHARGING_AMPS: ("number", "charging_amps"),
           CHARGING: ("switch", "charging")}  # fmt: skip


def wall_clock() -> float:
    """Real seconds; freezegun freezes time.monotonic and time.perf_counter, not this."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def save(name: str, result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1))


def sleep_after(day: BenchDay) -> float:
    return float(day.spec.get("defaults", {}).get("settings", {}).get("sleep_after", 900))


class SteppedAnchor(Protocol):
    """A client run on the simulated clock: it says when it next wants to run."""

    @property
    def next_run(self) -> float: ...

    async def run(self, now: float) -> None: ...


async def step_anchor(anchor: SteppedAnchor, clock: FakeClock, target: float) -> None:
    """Move ``clock`` to ``target``, running ``anchor`` at every moment it asked for."""
    while anchor.next_run < target - 1e-6:
        clock.advance(max(anchor.next_run - clock.now(), 0.0))
        await anchor.run(clock.now())
    clock.advance(max(target - clock.now(), 0.0))
    if anchor.next_run <= target + 1e-6:
        await anchor.run(clock.now())


async def start_server(world: World) -> TestServer:
    server = TestServer(create_app(world), host="127.0.0.1")
    await server.start_server()
    return server


def server_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


# ------------------------------------------------------------------------------ ours
class HomeAssistantStepper:
    """Moves Home Assistant's frozen clock and the simulator's clock together."""

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: FakeClock) -> None:
        self.hass = hass
        self.freezer = freezer
        self.clock = clock
        self.steps = 0

    async def settle(self) -> None:
        """Let every task Home Assistant started finish.

        Like ``async_block_till_done``, except for number.set_value calls parked until
        their coalescing window passes (a timer: they finish when the clock moves).  A
        task still busy after ``STUCK_AFTER`` real seconds waits for the frozen clock
        somewhere else, which is an error.
        """
        hass = self.hass
        deadline = wall_clock() + STUCK_AFTER
        while True:
            parked = self._window_waiters()
            busy = [
                t
                for t in hass._tasks | hass._background_tasks  # noqa: SLF001
                if not t.done() and getattr(t, "_fut_waiter", None) not in parked
            ]
            if not busy:
                # One more turn of the loop, in case finishing started something.
                await asyncio.sleep(0)
                if not any(
                    not t.done() and getattr(t, "_fut_waiter", None) not in self._window_waiters()
                    for t in hass._tasks | hass._background_tasks  # noqa: SLF001
                ):
                    return
                continue
            if wall_clock() > deadline:
                raise RuntimeError(f"tasks wait for the frozen clock: {busy}")
            await asyncio.sleep(0)

    def _window_waiters(self) -> set[asyncio.Future[None]]:
        """What number.set_value calls wait on until the coalescing window has passed.

        A call parked there waits for a timer, so it must not hold settling up; a call
        doing anything else (refreshing before a refusal, say) must.
        """
        component = self.hass.data.get(NUMBER_DATA)
        waiters: set[asyncio.Future[None]] = set()
        for entity in getattr(component, "entities", ()):
            if isinstance(entity, EVNumber):
                waiters.update(entity._waiters)  # noqa: SLF001
        return waiters

    def _next_timer(self) -> float | None:
        loop = self.hass.loop
        whens = [h.when() for h in get_scheduled_timer_handles(loop) if not h.cancelled()]
        if not whens:
            return None
        return min(whens) - loop.time()

    def follow(self) -> None:
        """Set the simulator's clock to Home Assistant's frozen one, to the microsecond.

        Not ``clock.advance(step)``: the frozen clock counts whole microseconds, a float
        sum of steps near 1.7e9 does not, and after a few hundred steps the simulator
        stamped a request a fraction of a microsecond before the moment Home Assistant
        had scheduled it for (the search for new cars, due on a polling cycle's
        boundary, landed in the previous cycle, at random with the timers' offsets).
        """
        self.clock.advance(max(dt_util.utcnow().timestamp() - self.clock.now(), 0.0))

    async def advance_to(self, target: float) -> None:
        while True:
            now = self.clock.now()
            if now >= target - 1e-6:
                return
            due = self._next_timer()
            step = target - now
            if due is not None and due < step:
                step = max(due, 0.0)
            step = max(round(step, 6), 1e-6)
            self.freezer.tick(timedelta(seconds=step))
            self.follow()
            async_fire_time_changed_exact(self.hass)
            await self.settle()
            self.steps += 1


async def run_ours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    day: BenchDay,
    keep_awake: bool,
    *,
    signed: pytest.MonkeyPatch | None = None,
    restart_after: float | None = None,
) -> dict[str, Any]:
    """Our integration through the day.

    By default with an access token, against a car that takes plain commands.  With
    ``signed`` (the test's monkeypatch, for the sign-in URL) the car requires signed
    commands and the entry signs them here (``bench/signing.py``).  With
    ``restart_after`` (seconds after the day's start) Home Assistant is stopped and
    started again at that moment.
    """
    freezer.move_to(datetime.fromtimestamp(day.start, UTC))
    clock = FakeClock(start=day.start)
    spec = day.spec_for(
        data_keeps_awake=keep_awake, command_signing="required" if signed is not None else None
    )
    world = build_world(spec, clock)
    tap = Tap(world, day.vins)
    server = await start_server(world)
    if signed is not None:
        entry = await add_signing_entry(hass, server, world, day, signed)
    else:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="bench",
            unique_id=f"bench-{day.key}",
            data={
                CONF_PROVIDER: PROVIDER_TESLA,
                CONF_API_URL: server_url(server),
                CONF_ACCESS_TOKEN: TOKEN,
                CONF_VEHICLES: list(day.vins),
            },
        )
        entry.add_to_hass(hass)
    stepper = HomeAssistantStepper(hass, freezer, clock)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await stepper.settle()
    registry = er.async_get(hass)
    vin = day.vins[0]

    def coordinator() -> VehicleCoordinator:
        # A new one after a restart.
        found: VehicleCoordinator = entry.runtime_data.coordinators[vin]
        return found

    def record_view() -> None:
        data = coordinator().data
        if data is not None:
            tap.view(vin, clock.now(), data.charging_amps, data.charge_limit, data.charging)

    record_view()
    unsubscribe = coordinator().async_add_listener(record_view)
    errors: dict[str, int] = {}
    restarts: list[float] = []

    async def advance_to(target: float) -> None:
        nonlocal unsubscribe
        if restart_after is not None and not restarts and target >= day.start + restart_after:
            await stepper.advance_to(day.start + restart_after)
            unsubscribe()
            await stop_home_assistant(hass, entry, stepper.settle)
            restarts.append(clock.now())
            assert await hass.config_entries.async_setup(entry.entry_id)
            await stepper.settle()
            record_view()
            unsubscribe = coordinator().async_add_listener(record_view)
        await stepper.advance_to(target)

    async def call(request: Request) -> None:
        platform, key = _ENTITY[request.entity]
        entity_id = registry.async_get_entity_id(platform, DOMAIN, f"{vin}_{key}")
        assert entity_id is not None, key
        if platform == "number":
            service, data = "set_value", {ATTR_ENTITY_ID: entity_id, "value": request.value}
        else:
            service, data = ("turn_on" if request.value else "turn_off"), {ATTR_ENTITY_ID: entity_id}
        try:
            await hass.services.async_call(platform, service, data, blocking=True)
        except ServiceValidationError as err:
            kind = f"refused:{err.translation_key}"
            errors[kind] = errors.get(kind, 0) + 1
        except HomeAssistantError as err:
            kind = f"failed:{err.translation_key}"
            errors[kind] = errors.get(kind, 0) + 1

    pending: list[asyncio.Task[None]] = []
    await _walk(day, clock, advance_to, tap, lambda r: _start_call(hass, call, r, pending), stepper.settle)
    await asyncio.gather(*pending)
    unsubscribe()
    policy = "ours" if signed is None else ("ours_signed_restart" if restarts else "ours_signed")
    result = day_result(policy, day, keep_awake, tap, sleep_after=sleep_after(day), request_errors=errors)
    result["steps"] = stepper.steps
    if restarts:
        result["restart"] = restart_effect(result, restarts[0] - day.start)
    await hass.config_entries.async_unload(entry.entry_id)
    await server.close()
    return result


def _start_call(
    hass: HomeAssistant,
    call: Callable[[Request], Awaitable[None]],
    request: Request,
    pending: list[asyncio.Task[None]],
) -> None:
    if request.entity == CHARGING:
        # A switch sends at once: let Home Assistant track it, so settling waits for it.
        pending.append(hass.async_create_task(call(request)))
    else:
        # A number waits for the coalescing window, which only passes when the clock
        # moves: an untracked task, or settling would wait forever.
        pending.append(asyncio.get_running_loop().create_task(call(request)))


async def _walk(
    day: BenchDay,
    clock: FakeClock,
    advance_to: Callable[[float], Awaitable[None]],
    tap: Tap,
    issue: Callable[[Request], None],
    settle: Callable[[], Awaitable[None]],
) -> None:
    """The day, minute by minute: sample the car, then issue that moment's requests."""
    requests = list(day.requests)
    index = 0
    minute = 0
    while minute <= day.minutes:
        boundary = day.start + minute * 60
        while index < len(requests) and requests[index].t < boundary:
            moment = requests[index].t
            await advance_to(moment)
            while index < len(requests) and requests[index].t == moment:
                issue(requests[index])
                index += 1
            await settle()
        await advance_to(boundary)
        tap.sample()
        minute += 1
    # Requests at the very end are left out (nothing would be measured after them).


# ---------------------------------------------------------------------------- anchors
async def run_anchor(name: str, day: BenchDay, keep_awake: bool | None) -> tuple[dict[str, Any], World]:
    clock = FakeClock(start=day.start)
    world = build_world(day.spec_for(data_keeps_awake=keep_awake), clock)
    tap = Tap(world, day.vins)
    server = await start_server(world)
    async with aiohttp.ClientSession() as session:
        anchor: Anchor = ANCHORS[name](Api(session, server_url(server), TOKEN), list(day.vins), tap)
        await anchor.setup(clock.now())
        queue: list[Request] = []

        async def advance_to(target: float) -> None:
            await step_anchor(anchor, clock, target)

        async def settle() -> None:
            while queue:
                request = queue.pop(0)
                await anchor.request(day.vins[0], request.entity, request.value, clock.now())

        await _walk(day, clock, advance_to, tap, queue.append, settle)
    await server.close()
    result = day_result(
        name, day, bool(keep_awake), tap, sleep_after=sleep_after(day), request_errors=anchor.errors
    )
    return result, world
