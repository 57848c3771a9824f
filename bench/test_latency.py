"""From a service call to the API, in real (wall) time, against an awake car.

Nothing is frozen here: Home Assistant and the simulator run as they would, and the
simulator's request log is stamped with the wall clock when each request reaches it.
The switch's command goes out at once; a number's goes out when its coalescing window
(``COALESCE_DELAY``) has passed since the last change.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

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
from simulator import FakeClock, build_world

from .harness import TOKEN, save, server_url, start_server, wall_clock
from .scenario import load_day

ROUNDS = 10


async def test_latency(hass: HomeAssistant, socket_enabled: None) -> None:
    day = load_day("bench_commuter")  # at its start the car is awake and plugged in
    world = build_world(day.spec_for(data_keeps_awake=None), FakeClock(start=day.start))
    vin = day.vins[0]
    arrivals: list[tuple[str, float]] = []
    record = world.recorder.record

    def stamped(**kwargs: Any) -> Any:
        arrivals.append((kwargs["path"], wall_clock()))
        return record(**kwargs)

    world.recorder.record = stamped  # type: ignore[method-assign]
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

    async def command_after(call: Any, name: str) -> float:
        """Seconds from the service call to the command reaching the simulator."""
        arrivals.clear()
        started = wall_clock()
        await call
        reached = [t for path, t in arrivals if path.endswith(f"/command/{name}")]
        assert reached, arrivals
        return reached[0] - started

    switch_seconds = []
    for index in range(ROUNDS):
        on = index % 2 == 0
        service = "turn_on" if on else "turn_off"
        call = hass.services.async_call("switch", service, {ATTR_ENTITY_ID: switch}, blocking=True)
        switch_seconds.append(await command_after(call, "charge_start" if on else "charge_stop"))

    # A dragged slider: five values 100 ms apart, then quiet; one command, for the last.
    drag_seconds = []
    for base in (6, 11):
        arrivals.clear()
        calls = []
        last_change = 0.0
        for step in range(5):
            calls.append(
                asyncio.ensure_future(
                    hass.services.async_call(
                        "number", "set_value", {ATTR_ENTITY_ID: amps, "value": base + step}, blocking=True
                    )
                )
            )
            last_change = wall_clock()
            await asyncio.sleep(0.1)
        await asyncio.gather(*calls)
        sent = [(p, t) for p, t in arrivals if p.endswith("/command/set_charging_amps")]
        assert len(sent) == 1, sent
        drag_seconds.append(sent[0][1] - last_change)
    await hass.config_entries.async_unload(entry.entry_id)
    await server.close()
    save(
        "latency",
        {
            "switch_max_s": round(max(switch_seconds), 4),
            "switch_median_s": round(statistics.median(switch_seconds), 4),
            "switch_rounds": len(switch_seconds),
            "number_after_last_change_max_s": round(max(drag_seconds), 3),
            "number_rounds": len(drag_seconds),
            "coalesce_delay_s": COALESCE_DELAY,
        },
    )
