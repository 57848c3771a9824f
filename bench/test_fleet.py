"""Scenario 3: one account with 1, 10 and 50 cars, all but one asleep.

For our integration: the requests of one simulated hour, per 5-minute polling cycle
(the targets), and the wall time and memory of setting up the config entry (reported
only: they depend on the machine and its load).  For the anchors: their
requests in the same hour.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
import gc
import re
import resource
import tracemalloc
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    CONF_VEHICLES,
    DOMAIN,
    PROVIDER_TESLA,
)
from simulator import FakeClock, World, build_world

from .anchors import ANCHORS
from .harness import TOKEN, HomeAssistantStepper, run_anchor, save, server_url, start_server, wall_clock
from .scenario import BenchDay, load_day

SIZES = [1, 10, 50]


def _rss_mb() -> float:
    """Resident memory now (Linux: /proc), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _entry(url: str, day: BenchDay, suffix: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="fleet",
        unique_id=f"bench-fleet-{suffix}",
        data={
            CONF_PROVIDER: PROVIDER_TESLA,
            CONF_API_URL: url,
            CONF_ACCESS_TOKEN: TOKEN,
            CONF_VEHICLES: list(day.vins),
        },
    )


def _asleep(world: World) -> set[str]:
    return {vin for vin, car in world.vehicles.items() if car.state == "asleep"}


STATE_CHECK = re.compile(r"(/eu|/cn)?/api/1/vehicles(/[^/]+)?/?")
"""The free state question: the account's vehicle list, or one vehicle."""
CYCLES = {"ours": 300.0, "tesla_fleet": 600.0, "hacs_tesla": 60.0, "naive": 60.0}
"""Each policy's polling cycle: the state check (ours, Tesla Fleet, HACS) or the poll."""


def _per_cycle(log: list[dict[str, Any]], start: float, asleep: set[str], cycle: float) -> dict[str, Any]:
    """Requests in each polling cycle of the hour after setup (the setup's own left out)."""
    count = int(3600 // cycle)
    # Each request is stamped with the simulated moment Home Assistant scheduled it for
    # (the simulator's clock is Home Assistant's, to the microsecond: harness.py), so a
    # timer due on a cycle's boundary (the search for new cars every 30 minutes) counts
    # in the cycle it starts, and what is due at the end of the hour in the next one.
    end = start + 3600
    windows = [Counter[str]() for _ in range(count)]
    for record in log:
        if record["api"] != "tesla" or not start < record["t"] < end:
            continue
        window = windows[min(int((record["t"] - start) // cycle), count - 1)]
        window["all"] += 1
        if STATE_CHECK.fullmatch(record["path"]):
            window["list"] += 1
        if record["vin"] in asleep:
            window["asleep_cars"] += 1
        window[record["category"]] += 1
    cycles = windows[1:]
    checks = [
        round(r["t"] - start, 2)
        for r in log
        if r["api"] == "tesla" and start < r["t"] < end and STATE_CHECK.fullmatch(r["path"])
    ]
    return {
        "state_check_times": checks,
        "cycle_seconds": cycle,
        "requests_per_cycle_max": max(c["all"] for c in cycles),
        "requests_per_cycle_mean": round(sum(c["all"] for c in cycles) / len(cycles), 2),
        "state_checks_per_cycle_max": max(c["list"] for c in cycles),
        "requests_naming_asleep_cars_per_hour": sum(c["asleep_cars"] for c in windows),
        "data_per_hour": sum(c["data"] for c in windows),
        "requests_per_hour": sum(c["all"] for c in windows),
        "cost_per_hour_usd": round(
            sum(c["data"] * 0.002 + c["command"] * 0.001 + c["wake"] * 0.02 for c in windows), 4
        ),
    }


@pytest.mark.parametrize("size", SIZES)
async def test_ours(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, socket_enabled: None, size: int
) -> None:
    day = load_day(f"bench_fleet_{size}")
    freezer.move_to(datetime.fromtimestamp(day.start, UTC))
    clock = FakeClock(start=day.start)
    world = build_world(day.spec_for(data_keeps_awake=None), clock)
    asleep = _asleep(world)
    server = await start_server(world)
    stepper = HomeAssistantStepper(hass, freezer, clock)

    # Wall time and resident memory of one setup, nothing else running.
    entry = _entry(server_url(server), day, "timed")
    entry.add_to_hass(hass)
    gc.collect()
    rss_before = _rss_mb()
    started = wall_clock()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await stepper.settle()
    setup_seconds = wall_clock() - started
    rss_delta = _rss_mb() - rss_before
    entities = len(hass.states.async_all())
    setup_requests = len(world.recorder.since(0))

    # An hour of polling, on the simulated clock.
    await stepper.advance_to(day.start + 3600)
    cycles = _per_cycle(world.recorder.since(0), day.start, asleep, CYCLES["ours"])

    # Python allocations of a second, identical setup (traced: slower, so not timed).
    assert await hass.config_entries.async_remove(entry.entry_id)
    await stepper.settle()
    traced_entry = _entry(server_url(server), day, "traced")
    traced_entry.add_to_hass(hass)
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    assert await hass.config_entries.async_setup(traced_entry.entry_id)
    await stepper.settle()
    traced_mb = (tracemalloc.get_traced_memory()[0] - baseline) / 2**20
    tracemalloc.stop()
    await hass.config_entries.async_unload(traced_entry.entry_id)
    await server.close()
    save(
        f"fleet-{size}-ours",
        {
            "policy": "ours",
            "size": size,
            "asleep": len(asleep),
            "setup_seconds": round(setup_seconds, 3),
            "setup_requests": setup_requests,
            "entities": entities,
            "rss_delta_mb": round(rss_delta, 1),
            "traced_mb": round(traced_mb, 1),
            **cycles,
        },
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("policy", list(ANCHORS))
async def test_anchor(socket_enabled: None, size: int, policy: str) -> None:
    day = load_day(f"bench_fleet_{size}")
    world_asleep = _asleep(build_world(day.spec_for(data_keeps_awake=None), FakeClock(start=day.start)))
    _result, world = await run_anchor(policy, day, None)
    cycles = _per_cycle(world.recorder.since(0), day.start, world_asleep, CYCLES[policy])
    save(f"fleet-{size}-{policy}", {"policy": policy, "size": size, "asleep": len(world_asleep), **cycles})
