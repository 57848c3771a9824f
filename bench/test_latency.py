"""From a service call to the API, against an awake car: in simulated time, and in wall time.

``test_latency`` (the targets): Home Assistant's clock is frozen and moved with the
simulator's (``HomeAssistantStepper``), and each command is stamped with the simulated
moment it reached the simulator.  The switch's command goes out at the moment of the
call, without waiting for any timer; a number's goes out when its coalescing window
(``COALESCE_DELAY``) has passed since the last change.  Only timers move the clock, so
the figures are the same on an idle and on a loaded machine.

``test_latency_wall`` (reported, not a target): the same switch calls with nothing
frozen, timed with the wall clock: what the machine adds (the event loop, HTTP on
localhost).  It depends on the machine and its load, so it decides nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
import statistics
from typing import Any

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import (
    COALESCE_DELAY,
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_TESLA,
)
from simulator import FakeClock, World, build_world

from .harness import TOKEN, HomeAssistantStepper, save, server_url, start_server, wall_clock
from .scenario import load_day

ROUNDS = 10
DRAG_FROM = (6, 11)
"""Two dragged sliders: from 6 A and from 11 A, ..."""
DRAG_VALUES, DRAG_SPACING = 5, 0.1
"""... five values each, 0.1 simulated seconds apart."""
WAIT_FOR_COMMAND = 10.0
"""Simulated seconds to wait for a command before calling it never sent."""


async def _entry(hass: HomeAssistant, world: World, vin: str) -> tuple[TestServer, MockConfigEntry, str, str]:
    server = await start_server(world)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="bench-latency",
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            CONF_API_URL: server_url(server),
            CONF_ACCESS_TOKEN: TOKEN,
            CONF_VEHICLES: [vin],
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    switch = registry.async_get_entity_id("switch", DOMAIN, f"{vin}_charging")
    amps = registry.async_get_entity_id("number", DOMAIN, f"{vin}_charging_amps")
    assert switch is not None
    assert amps is not None
    return server, entry, switch, amps


def _commands(world: World, name: str, since: int) -> list[float]:
    """Simulated moments at which ``name`` commands reached the simulator."""
    return [r["t"] for r in world.recorder.since(since) if r["path"].endswith(f"/command/{name}")]


async def test_latency(freezer: FrozenDateTimeFactory, hass: HomeAssistant, socket_enabled: None) -> None:
    day = load_day("bench_commuter")  # at its start the car is awake and plugged in
    freezer.move_to(datetime.fromtimestamp(day.start, UTC))
    clock = FakeClock(start=day.start)
    world = build_world(day.spec_for(data_keeps_awake=None), clock)
    stepper = HomeAssistantStepper(hass, freezer, clock)
    vin = day.vins[0]
    server, entry, switch, amps = await _entry(hass, world, vin)
    await stepper.settle()

    async def command_after(platform: str, service: str, data: dict[str, Any], name: str) -> float:
        """Simulated seconds from the service call to the command reaching the simulator."""
        since = world.recorder.last_seq
        called = clock.now()
        task = hass.async_create_task(hass.services.async_call(platform, service, data, blocking=True))
        await stepper.settle()
        while not _commands(world, name, since) and clock.now() < called + WAIT_FOR_COMMAND:
            await stepper.advance_to(clock.now() + 0.1)
        await task
        reached = _commands(world, name, since)
        assert reached, f"no {name} within {WAIT_FOR_COMMAND} simulated seconds"
        return reached[0] - called

    switch_seconds = []
    for index in range(ROUNDS):
        on = index % 2 == 0
        switch_seconds.append(
            await command_after(
                "switch",
                "turn_on" if on else "turn_off",
                {ATTR_ENTITY_ID: switch},
                "charge_start" if on else "charge_stop",
            )
        )
        await stepper.advance_to(clock.now() + 60)  # the next round a minute later

    # A dragged slider: five values 0.1 s apart, then quiet; one command, for the last.
    drag_seconds, drag_commands = [], []
    for base in DRAG_FROM:
        since = world.recorder.last_seq
        calls = []
        for step in range(DRAG_VALUES):
            if step:
                await stepper.advance_to(clock.now() + DRAG_SPACING)
            data = {ATTR_ENTITY_ID: amps, "value": base + step}
            # Not tracked by Home Assistant: the call waits for the window, which only
            # passes when the clock moves, so settling must not wait for it.
            calls.append(
                hass.loop.create_task(hass.services.async_call("number", "set_value", data, blocking=True))
            )
            await stepper.settle()
        last_change = clock.now()
        await stepper.advance_to(last_change + WAIT_FOR_COMMAND)
        for call in calls:
            await call
        sent = _commands(world, "set_charging_amps", since)
        assert sent, f"no set_charging_amps within {WAIT_FOR_COMMAND} simulated seconds"
        drag_commands.append(len(sent))
        drag_seconds.append(sent[0] - last_change)
        await stepper.advance_to(clock.now() + 60)
    await hass.config_entries.async_unload(entry.entry_id)
    await server.close()
    save(
        "latency",
        {
            "clock": "simulated",
            "switch_max_s": round(max(switch_seconds), 6),
            "switch_median_s": round(statistics.median(switch_seconds), 6),
            "switch_rounds": len(switch_seconds),
            "number_after_last_change_max_s": round(max(drag_seconds), 6),
            "number_commands_per_drag_max": max(drag_commands),
            "number_rounds": len(drag_seconds),
            "drag_values": DRAG_VALUES,
            "drag_spacing_s": DRAG_SPACING,
            "coalesce_delay_s": COALESCE_DELAY,
        },
    )


async def test_latency_wall(hass: HomeAssistant, socket_enabled: None) -> None:
    day = load_day("bench_commuter")
    world = build_world(day.spec_for(data_keeps_awake=None), FakeClock(start=day.start))
    vin = day.vins[0]
    arrivals: list[tuple[str, float]] = []
    record = world.recorder.record

    def stamped(**kwargs: Any) -> Any:
        arrivals.append((kwargs["path"], wall_clock()))
        return record(**kwargs)

    world.recorder.record = stamped  # type: ignore[method-assign]
    server, entry, switch, _amps = await _entry(hass, world, vin)

    switch_seconds = []
    for index in range(ROUNDS):
        on = index % 2 == 0
        name = "charge_start" if on else "charge_stop"
        arrivals.clear()
        started = wall_clock()
        await hass.services.async_call(
            "switch", "turn_on" if on else "turn_off", {ATTR_ENTITY_ID: switch}, blocking=True
        )
        reached = [t for path, t in arrivals if path.endswith(f"/command/{name}")]
        assert reached, arrivals
        switch_seconds.append(reached[0] - started)
    await hass.config_entries.async_unload(entry.entry_id)
    await server.close()
    save(
        "latency-wall",
        {
            "clock": "wall",
            "switch_max_s": round(max(switch_seconds), 4),
            "switch_median_s": round(statistics.median(switch_seconds), 4),
            "switch_rounds": len(switch_seconds),
        },
    )
